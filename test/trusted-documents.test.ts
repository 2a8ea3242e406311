import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, validate } from 'graphql';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest, manifestText } from '../scripts/trustedDocuments.js';
import { mintApiKey } from '../src/auth/apiKeys.js';
import type { TokenVerifier } from '../src/auth/authenticate.js';
import type { Principal } from '../src/auth/principal.js';
import { configFrom } from '../src/config.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { buildBaseSchema } from '../src/graphql/schema.js';
import { DEFAULT_TRUSTED_DOCUMENTS_FILE, loadTrustedDocuments, sha256 } from '../src/hardening/trustedDocuments.js';
import { demoCustomer } from './support/demo.js';
import { startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

const manifest = loadTrustedDocuments(undefined);
const [CARD_HASH, CARD] = [...manifest].find(([, document]) => document.startsWith('query CustomerCard'))!;
const ID = DEMO_CUSTOMERS.consent.id;
const { customer, loyalty } = demoCustomer(ID);
const CARD_DATA = {
  customer: {
    id: ID,
    loyalty: { tier: loyalty!.tier, pointsBalance: loyalty!.pointsBalance },
    segments: customer.segments.map((m) => ({ segment: { id: m.segmentId, name: expect.any(String) } })),
  },
};
/** The card's fields are personal: released for the support purpose the callers state, none transformed. */
const CARD_ANSWER = { status: 200, body: { data: CARD_DATA, extensions: { privacy: { purpose: 'SUPPORT', fields: [] } } } };
const AD_HOC = 'query Mine($id: ID!) { customer(id: $id) { id } }';

/** POST /graphql with optional query text and persisted-query hash. */
async function send(url: string, body: { query?: string; hash?: string }, headers: Record<string, string>) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      query: body.query,
      variables: { id: ID },
      extensions: body.hash ? { persistedQuery: { version: 1, sha256Hash: body.hash } } : undefined,
    }),
  });
  return { status: response.status, body: withoutTraceId((await response.json()) as { data?: unknown; extensions?: Record<string, unknown> }) };
}

const NOT_FOUND = { status: 200, body: { errors: [{ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] } };
const TRUSTED_ONLY = {
  status: 403,
  body: {
    errors: [
      {
        message: 'This key runs trusted documents only: send the sha256Hash of a document in the manifest as extensions.persistedQuery.',
        extensions: { code: 'FORBIDDEN', reason: 'TRUSTED_DOCUMENTS_ONLY' },
      },
    ],
  },
};

describe('trusted documents: the manifest, keys marked trusted-documents-only', () => {
  let gw: TestGateway;
  let trustedOnly: string;
  const partner = { 'x-api-key': 'c360_demo_support', 'x-c360-purpose': 'support' };
  beforeAll(async () => {
    gw = await startTestGateway();
    const minted = mintApiKey({ clientName: 'Kiosk', scopes: ['customer:read', 'segments:read'], purposes: ['SUPPORT'], trustedDocumentsOnly: true });
    await gw.gateway.services.sources.singleView.putApiKey(minted.record);
    trustedOnly = minted.key;
  });
  afterAll(() => gw?.close());

  it('runs a manifest document sent as its hash alone, over POST and over GET', async () => {
    expect(await send(gw.url, { hash: CARD_HASH }, partner)).toEqual(CARD_ANSWER);
    const params = new URLSearchParams({
      variables: JSON.stringify({ id: ID }),
      extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: CARD_HASH } }),
    });
    const get = await fetch(`${gw.url}/graphql?${params}`, { headers: partner });
    expect({ status: get.status, body: withoutTraceId((await get.json()) as { extensions?: Record<string, unknown> }) }).toEqual(CARD_ANSWER);
  });

  it('answers PERSISTED_QUERY_NOT_FOUND for an unknown hash, and 400 for a hash that is not the query’s', async () => {
    expect(await send(gw.url, { hash: sha256(AD_HOC) }, partner)).toEqual(NOT_FOUND);
    expect(await send(gw.url, { query: AD_HOC, hash: CARD_HASH }, partner)).toEqual({
      status: 400,
      body: { errors: [{ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('does not register documents for API keys: the query runs, its hash stays unknown', async () => {
    expect(await send(gw.url, { query: AD_HOC, hash: sha256(AD_HOC) }, partner)).toEqual({ status: 200, body: { data: { customer: { id: ID } } } });
    expect(await send(gw.url, { hash: sha256(AD_HOC) }, partner)).toEqual(NOT_FOUND);
  });

  it('refuses any ad hoc document from a trusted-documents-only key, before it runs', async () => {
    gw.spans.reset();
    expect(await send(gw.url, { query: AD_HOC }, { 'x-api-key': trustedOnly, 'x-c360-purpose': 'support' })).toEqual(TRUSTED_ONLY);
    expect(await send(gw.url, { query: AD_HOC, hash: sha256(AD_HOC) }, { 'x-api-key': trustedOnly, 'x-c360-purpose': 'support' })).toEqual(TRUSTED_ONLY);
    const calls = gw.spans.getFinishedSpans().filter((span) => span.name.startsWith('c360.source.') && span.attributes['c360.source.operation'] !== 'getApiKey');
    expect(calls).toEqual([]);
  });

  it('runs manifest documents for a trusted-documents-only key, by hash or by their exact text', async () => {
    expect(await send(gw.url, { hash: CARD_HASH }, { 'x-api-key': trustedOnly, 'x-c360-purpose': 'support' })).toEqual(CARD_ANSWER);
    expect(await send(gw.url, { query: CARD }, { 'x-api-key': trustedOnly, 'x-c360-purpose': 'support' })).toEqual(CARD_ANSWER);
  });
});

describe('automatic persisted queries for first-party tokens', () => {
  let gw: TestGateway;
  let agent: Record<string, string>;
  beforeAll(async () => {
    // With the privacy branch's token verifier (C360_JWT_SECRET), a real HS256 agent JWT;
    // without it, a stand-in verifier for an agent principal, so APQ itself is tested either way.
    const secret = 'apq-test-secret-of-at-least-32-characters';
    const jwtConfigured = 'tokens' in configFrom({ C360_JWT_SECRET: secret });
    gw = await startTestGateway(jwtConfigured ? { C360_JWT_SECRET: secret } : {});
    let token: string;
    if (jwtConfigured) {
      token = await new SignJWT({ role: 'agent', purposes: ['support'] })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('agent-7')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode(secret));
    } else {
      console.warn('[stand-in] APQ test: no C360_JWT_SECRET on this branch (issue 4); an agent principal comes from a stand-in token verifier.');
      token = 'stand-in-agent-token';
      const principal: Principal = {
        kind: 'agent',
        id: 'agent:agent-7',
        name: 'Agent 7',
        scopes: new Set(['customer:read', 'segments:read']),
        purposes: new Set(['SUPPORT']),
        trustedDocumentsOnly: false,
      };
      const verifier: TokenVerifier = { verify: async (presented) => (presented === token ? principal : Promise.reject(new Error('unknown token'))) };
      (gw.gateway.services.authenticator as { tokens?: TokenVerifier }).tokens = verifier;
    }
    agent = { authorization: `Bearer ${token}`, 'x-c360-purpose': 'support' };
  });
  afterAll(() => gw?.close());

  it('registers a document on its first use, then runs it from the hash alone', async () => {
    const document = `query AgentView($id: ID!) { customer(id: $id) { id loyalty { tier } } }`;
    const expected = { status: 200, body: { data: { customer: { id: ID, loyalty: { tier: loyalty!.tier } } }, extensions: { privacy: { purpose: 'SUPPORT', fields: [] } } } };
    expect(await send(gw.url, { hash: sha256(document) }, agent)).toEqual(NOT_FOUND);
    expect(await send(gw.url, { query: document, hash: sha256(document) }, agent)).toEqual(expected);
    expect(await send(gw.url, { hash: sha256(document) }, agent)).toEqual(expected);
    // Registered documents are the first-party apps' own: a partner key cannot run them by hash.
    expect(await send(gw.url, { hash: sha256(document) }, { 'x-api-key': 'c360_demo_support' })).toEqual(NOT_FOUND);
  });

  it('does not register a document that fails validation', async () => {
    const invalid = 'query Broken { customer(id: "x") { nope } }';
    expect((await send(gw.url, { query: invalid, hash: sha256(invalid) }, agent)).status).toBe(400);
    expect(await send(gw.url, { hash: sha256(invalid) }, agent)).toEqual(NOT_FOUND);
  });
});

describe('the trusted documents manifest', () => {
  it('is current with clients/typescript/operations/*.graphql (run `npm run trusted-documents` when this fails)', () => {
    expect(readFileSync(DEFAULT_TRUSTED_DOCUMENTS_FILE, 'utf8')).toBe(manifestText(buildManifest().manifest));
  });

  it('accepts Apollo’s persisted-query manifest format', () => {
    const file = join(tmpdir(), `pq-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: CARD_HASH, name: 'CustomerCard', type: 'query', body: CARD }] }));
    expect([...loadTrustedDocuments(file)]).toEqual([[CARD_HASH, CARD]]);
  });

  it('stops the start when a hash is not its document’s, naming the hash only', async () => {
    const file = join(tmpdir(), `bad-manifest-${process.pid}.json`);
    const wrong = sha256('something else');
    writeFileSync(file, JSON.stringify({ [wrong]: CARD }));
    await expect(startTestGateway({ C360_TRUSTED_DOCUMENTS_FILE: file })).rejects.toThrow(
      `Trusted documents manifest ${file}: ${wrong} is not the SHA-256 of its document.`,
    );
    expect(() => loadTrustedDocuments(join(tmpdir(), 'no-such-manifest.json'))).toThrow('could not be read: ENOENT.');
  });

  it('holds only documents that are valid against the schema', () => {
    const schema = buildBaseSchema();
    expect(manifest.size).toBeGreaterThan(0);
    for (const document of manifest.values()) expect(validate(schema, parse(document))).toEqual([]);
  });
});
