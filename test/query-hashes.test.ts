import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

/**
 * Every request hashes its query (SHA-256, the key of Apollo Server's
 * parsed-document cache). The patched Apollo Server (patches/) keeps the
 * hashes of short queries by their text once the gateway asks it to, as it
 * starts (src/graphql/apolloPatch.ts): a hash kept for the wrong text would
 * run another operation than the one sent. Real gateway, real HTTP.
 */
const kept = (): Map<string, string> | undefined => (globalThis as { [key: symbol]: Map<string, string> | undefined })[Symbol.for('c360.apollo.queryHashes')];
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('query hashes kept by their text', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_RATE_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(() => gw?.close());

  it('answers each of several queries sent in turn as itself, and keeps each one\'s SHA-256 under its text', async () => {
    const queries = ['{ __typename }', '{ a: __typename }', '{ b: __typename }'];
    const answers = [{ __typename: 'Query' }, { a: 'Query' }, { b: 'Query' }];
    kept()!.clear();
    for (let round = 0; round < 3; round++) {
      for (const [i, query] of queries.entries()) {
        const response = await graphql(gw.url, query);
        expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual({ status: 200, body: { data: answers[i] } });
      }
    }
    expect(new Map(kept())).toEqual(new Map(queries.map((query) => [query, sha256(query)])));
  });

  it('keeps no query longer than 8,192 characters, and no more than 500 queries', async () => {
    kept()!.clear();
    const long = `# ${'x'.repeat(8_200)}\n{ long: __typename }`;
    const response = await graphql(gw.url, long);
    expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual({ status: 200, body: { data: { long: 'Query' } } });
    expect(kept()!.has(long)).toBe(false);
    for (let i = 0; i < 520; i++) expect((await graphql(gw.url, `{ q${i}: __typename }`)).status).toBe(200);
    // Emptied when full: the 501st starts it again.
    expect(kept()!.size).toBe(20);
    expect(kept()!.get('{ q519: __typename }')).toBe(sha256('{ q519: __typename }'));
  });
});
