import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

/**
 * Every request's Accept header decides whether it takes the legacy
 * incremental format and which content type its answer has. The patched
 * Apollo Server (patches/) keeps both decisions by the header's text once the
 * gateway asks it to, as it starts (src/graphql/apolloPatch.ts): a decision
 * kept for the wrong header would answer a client in a type it did not ask
 * for. Real gateway, real HTTP; each header is sent twice, so the second
 * answer comes from what the first one kept.
 */
const kept = (): Map<string, { value: unknown }> | undefined =>
  (globalThis as { [key: symbol]: Map<string, { value: unknown }> | undefined })[Symbol.for('c360.apollo.acceptDecisions')];

async function ask(url: string, accept: string | undefined): Promise<{ status: number; contentType: string | null; body: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': 'c360_demo_support' };
  if (accept !== undefined) headers.accept = accept;
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query: '{ __typename }' }) });
  const body = (await response.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: unknown } }> };
  return { status: response.status, contentType: response.headers.get('content-type'), body: body.data ?? body.errors?.map((error) => error.extensions?.code) };
}

describe('Accept header decisions kept by the header', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(() => gw?.close());

  it('answers each header, sent in turn and again, in the type it asks for, and keeps each decision under its text', async () => {
    const json = { status: 200, contentType: 'application/json; charset=utf-8', body: { __typename: 'Query' } };
    const graphqlResponse = { ...json, contentType: 'application/graphql-response+json; charset=utf-8' };
    const refused = { status: 406, contentType: 'application/json; charset=utf-8', body: ['BAD_REQUEST'] };
    const cases: Array<[string, typeof json | typeof refused]> = [
      ['*/*', json],
      ['application/json', json],
      ['application/graphql-response+json', graphqlResponse],
      ['application/json;q=0.5, application/graphql-response+json', graphqlResponse],
      ['application/graphql-response+json;q=0.5, application/json', json],
      ['text/html', refused],
      ['multipart/mixed; deferSpec=20220824', refused],
    ];
    kept()!.clear();
    for (let round = 0; round < 2; round++) {
      for (const [accept, expected] of cases) expect({ accept, ...(await ask(gw.url, accept)) }).toEqual({ accept, ...expected });
    }
    expect(await ask(gw.url, undefined)).toEqual(json);
    const decisions = kept()!;
    expect(decisions.get('singleResultContentType=application/graphql-response+json')).toEqual({ value: 'application/graphql-response+json; charset=utf-8' });
    expect(decisions.get('singleResultContentType=text/html')).toEqual({ value: undefined });
    // The legacy incremental format is decided as the operation runs, before its answer's type is refused.
    expect(decisions.get('legacyIncremental=multipart/mixed; deferSpec=20220824')).toEqual({ value: true });
    expect(decisions.get('legacyIncremental=application/json')).toEqual({ value: false });
    expect([...decisions.keys()].filter((key) => key.startsWith('singleResultContentType=')).sort()).toEqual(
      cases.map(([accept]) => `singleResultContentType=${accept}`).sort(),
    );
  });

  it('keeps no header longer than 512 characters, and no more than 200 decisions', async () => {
    kept()!.clear();
    const long = `application/json, ${'x'.repeat(520)}/y`;
    expect((await ask(gw.url, long)).status).toBe(200);
    expect([...kept()!.keys()].some((key) => key.includes('x'.repeat(520)))).toBe(false);
    kept()!.clear();
    // Each header two decisions: the 101st header's pair starts the map again.
    for (let i = 0; i < 110; i++) expect((await ask(gw.url, `application/json, application/x-${i}`)).status).toBe(200);
    expect(kept()!.size).toBe(20);
    expect(kept()!.get('singleResultContentType=application/json, application/x-109')).toEqual({ value: 'application/json; charset=utf-8' });
  });
});
