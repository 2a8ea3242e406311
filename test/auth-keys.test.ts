import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApiKey } from '../src/auth/apiKeys.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { graphql, startTestGateway, dynamoSingleView } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

const TRACE_ID = expect.stringMatching(/^[0-9a-f]{32}$/);
const ID = DEMO_CUSTOMERS.consent.id;

let gw: TestGateway;
beforeAll(async () => {
  // No key cache: a revocation counts on the very next request.
  gw = await startTestGateway({ C360_API_KEY_CACHE_MS: '0', C360_SOURCE_TIMEOUT_MS: '5000' });
});
afterAll(() => gw?.close());

async function storedKey(fields: Partial<Parameters<typeof mintApiKey>[0]> = {}): Promise<string> {
  const minted = mintApiKey({ clientName: 'Test partner', scopes: ['customer:read'], purposes: ['SUPPORT'], ...fields });
  await gw.gateway.services.sources.singleView.putApiKey(minted.record);
  return minted.key;
}

const unauthenticated = (message: string) => ({ status: 401, body: { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] } });

describe('API keys', () => {
  it('stores only the SHA-256 of the secret', async () => {
    const key = await storedKey();
    const [keyId, secret] = key.replace(/^c360_/, '').split('.') as [string, string];
    const store = dynamoSingleView(gw);
    const { Item } = await store.document.send(new GetCommand({ TableName: store.tables.apiKeys, Key: { keyId } }));
    expect(Item?.secretHash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(Item)).not.toContain(secret);
  });

  it('lets a valid key in, as itself', async () => {
    const key = await storedKey({ clientName: 'Viewer check', scopes: ['customer:read', 'segments:read'], purposes: ['SUPPORT', 'FRAUD'] });
    const response = await graphql(gw.url, '{ viewer { id name kind scopes purposes } }', { apiKey: key });
    expect(response.body).toEqual({
      data: { viewer: { id: `key:${key.slice(5).split('.')[0]}`, name: 'Viewer check', kind: 'apiKey', scopes: ['customer:read', 'segments:read'], purposes: ['SUPPORT', 'FRAUD'] } },
      extensions: { traceId: TRACE_ID },
    });
  });

  it.each([
    ['an expired key', () => storedKey({ expiresAt: new Date(Date.now() - 1_000).toISOString() }), 'Invalid API key: API key expired.'],
    ['a revoked key', async () => {
      const key = await storedKey();
      const keyId = key.slice(5).split('.')[0]!;
      const store = dynamoSingleView(gw);
      await store.putApiKey({ ...(await store.getApiKey(keyId))!, revoked: true });
      return key;
    }, 'Invalid API key: API key revoked.'],
    ['a key with the wrong secret', async () => `${(await storedKey()).split('.')[0]}.${'x'.repeat(43)}`, 'Invalid API key: unknown API key.'],
    ['a key nobody issued', async () => `c360_nobody.${'y'.repeat(43)}`, 'Invalid API key: unknown API key.'],
    ['a malformed key', async () => 'not a key', 'Invalid API key: malformed API key.'],
  ])('refuses %s with UNAUTHENTICATED', async (_case, key, message) => {
    const response = await graphql(gw.url, '{ viewer { id } }', { apiKey: await key() });
    expect({ status: response.status, body: response.body }).toEqual(unauthenticated(message));
  });
});

describe('scopes', () => {
  const forbidden = (path: string[], message: string, scope?: string) => ({
    message,
    locations: expect.any(Array),
    path,
    extensions: scope ? { code: 'FORBIDDEN', scope } : { code: 'FORBIDDEN' },
  });

  it('refuses a nested field the key has no scope for, answering the rest', async () => {
    const key = await storedKey({ scopes: ['customer:read'] });
    const response = await graphql(gw.url, 'query($id: ID!) { viewer { kind } customer(id: $id) { id events(first: 1) { edges { node { id } } } } }', {
      apiKey: key,
      purpose: 'support',
      variables: { id: ID },
    });
    // events is null with its error; the customer's id and viewer still answer.
    expect({ status: response.status, body: response.body }).toEqual({
      status: 200,
      body: {
        errors: [forbidden(['customer', 'events'], 'events needs the scope events:read.', 'events:read')],
        data: { viewer: { kind: 'apiKey' }, customer: { id: ID, events: null } },
        extensions: { traceId: TRACE_ID },
      },
    });
  });

  it.each([
    ['customer without customer:read', 'c360_demo_ingest', 'query($id: ID!) { customer(id: $id) { id } }', ['customer'], 'customer:read'],
    ['auditTrail without audit:read', 'c360_demo_support', 'query($id: ID!) { auditTrail(customerId: $id) { edges { cursor } } }', ['auditTrail'], 'audit:read'],
    ['segments without segments:read', 'c360_demo_ingest', '{ segments { id } }', ['segments'], 'segments:read'],
  ])('answers 403 when no part can be answered: %s', async (_case, apiKey, query, path, scope) => {
    const response = await graphql(gw.url, query, { apiKey, variables: { id: ID } });
    const field = path[0]!;
    expect({ status: response.status, body: response.body }).toEqual({
      status: 403,
      body: {
        errors: [forbidden(path, `${field} needs the scope ${scope}.`, scope)],
        data: field === 'customer' ? { customer: null } : null, // auditTrail and segments are non-null
        extensions: { traceId: TRACE_ID },
      },
    });
  });

  it('refuses consents to a key without consent:read, and lets the marketing key read them', async () => {
    const query = 'query($id: ID!) { customer(id: $id) { consents { purpose status } } }';
    const analytics = await graphql(gw.url, query, { apiKey: 'c360_demo_analytics', variables: { id: ID } });
    expect(analytics.body.errors).toEqual([forbidden(['customer', 'consents'], 'consents needs the scope consent:read.', 'consent:read')]);
    const marketing = await graphql(gw.url, query, { apiKey: 'c360_demo_marketing', purpose: 'marketing', variables: { id: ID } });
    expect(marketing.body.errors).toBeUndefined();
  });

  it('needs no scope for viewer', async () => {
    const response = await graphql(gw.url, '{ viewer { id scopes purposes } }', { apiKey: 'c360_demo_ingest' });
    expect(response.body).toEqual({
      data: { viewer: { id: 'key:demo_ingest', scopes: ['consent:write', 'events:write', 'identity:write'], purposes: [] } },
      extensions: { traceId: TRACE_ID },
    });
  });
});
