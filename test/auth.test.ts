import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyAuthenticator, hashSecret, installDemoKeys, mintApiKey, parseApiKey } from '../src/auth/apiKeys.js';
import { DEMO_KEYS } from '../src/auth/demoKeys.js';
import { startSingleView } from './support/dynalite.js';
import { startTestGateway, graphql, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

/** Needs authentication and no scope, so every valid key may ask it. */
const QUERY = '{ viewer { id } }';

describe('API keys over HTTP', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_API_KEY_CACHE_MS: '0' });
  });
  afterAll(() => gw?.close());

  const refused = (message: string) => ({ status: 401, body: { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] } });
  const cases: Array<[string, Record<string, string>, string]> = [
    ['no credentials', {}, 'Authentication required: send an x-api-key header or an authorization: Bearer token.'],
    ['an unknown key', { 'x-api-key': 'c360_demo_nobody' }, 'Invalid API key: unknown API key.'],
    ['a key of the wrong shape', { 'x-api-key': 'hunter2' }, 'Invalid API key: malformed API key.'],
    ['a known key id with the wrong secret', { 'x-api-key': 'c360_demo_support.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, 'Invalid API key: unknown API key.'],
    ['a malformed authorization header', { authorization: 'Basic abc' }, 'The authorization header must be "Bearer <token>".'],
  ];
  for (const [name, headers, message] of cases) {
    it(`refuses ${name} with 401 UNAUTHENTICATED`, async () => {
      const response = await graphql(gw.url, QUERY, { apiKey: null, headers });
      expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual(refused(message));
    });
  }

  it('accepts every demo key in embedded demo mode', async () => {
    for (const demo of DEMO_KEYS) {
      const response = await graphql(gw.url, QUERY, { apiKey: demo.key });
      expect(response.status).toBe(200);
    }
  });

  it('accepts a minted key, and refuses it once revoked or expired', async () => {
    const store = gw.gateway.services.sources.singleView;
    const minted = mintApiKey({ clientName: 'Partner', scopes: ['customer:read'], purposes: ['MARKETING'] });
    await store.putApiKey(minted.record);
    expect((await graphql(gw.url, QUERY, { apiKey: minted.key })).status).toBe(200);

    await store.putApiKey({ ...minted.record, revoked: true });
    expect(withoutTraceId((await graphql(gw.url, QUERY, { apiKey: minted.key })).body)).toEqual(refused('Invalid API key: API key revoked.').body);

    await store.putApiKey({ ...minted.record, expiresAt: '2020-01-01T00:00:00.000Z' });
    expect(withoutTraceId((await graphql(gw.url, QUERY, { apiKey: minted.key })).body)).toEqual(refused('Invalid API key: API key expired.').body);
  });

  it('gives no origin CORS headers when C360_CORS_ORIGINS lists none (the default): a preflight is refused', async () => {
    const preflight = await fetch(`${gw.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
    });
    const actual = await graphql(gw.url, QUERY, { headers: { origin: 'https://app.example.com' } });
    expect(actual.status).toBe(200);
    for (const response of [preflight, actual]) {
      const cors: string[] = [];
      response.headers.forEach((_value, name) => {
        if (name.startsWith('access-control-')) cors.push(name);
      });
      expect(cors).toEqual([]);
    }
    // Apollo Server's own answer to an OPTIONS request without CORS (400), as before CORS was left unregistered here.
    expect(preflight.status).toBe(400);
  });

  it('stores only hashes of secrets', async () => {
    const stored = await gw.gateway.services.sources.singleView.listApiKeys();
    const text = JSON.stringify(stored);
    for (const demo of DEMO_KEYS) {
      expect(text).not.toContain(demo.key);
      const record = stored.find((key) => key.keyId === parseApiKey(demo.key)!.keyId);
      expect(record?.secretHash).toBe(hashSecret(demo.key));
    }
  });
});

describe('API key authenticator', () => {
  it('refuses demo keys when demo mode is off, even if they are in the store', async () => {
    const { store, close } = await startSingleView();
    try {
      await installDemoKeys(store);
      const demoOff = new ApiKeyAuthenticator(store, { cacheMs: 0, allowDemoKeys: false });
      expect(await demoOff.check('c360_demo_admin')).toEqual({ status: 'invalid', reason: 'demo keys work only in embedded demo mode' });
      const demoOn = new ApiKeyAuthenticator(store, { cacheMs: 0, allowDemoKeys: true });
      expect((await demoOn.check('c360_demo_admin')).status).toBe('valid');
    } finally {
      await close();
    }
  });

  it('serves a key from cache within the cache interval, then reads it again', async () => {
    let reads = 0;
    let now = 0;
    const minted = mintApiKey({ clientName: 'Cached', scopes: [], purposes: [] });
    const store = { getApiKey: async () => (reads++, minted.record) };
    const authenticator = new ApiKeyAuthenticator(store, { cacheMs: 1000, allowDemoKeys: false }, () => now);
    await authenticator.check(minted.key);
    await authenticator.check(minted.key);
    expect(reads).toBe(1);
    now = 1500;
    await authenticator.check(minted.key);
    expect(reads).toBe(2);
  });

  it('checks every presented secret against a cached record: the right one passes, a wrong one with the same key id does not', async () => {
    const minted = mintApiKey({ clientName: 'Cached', scopes: [], purposes: [] });
    const authenticator = new ApiKeyAuthenticator({ getApiKey: async () => minted.record }, { cacheMs: 60_000, allowDemoKeys: false });
    expect((await authenticator.check(minted.key)).status).toBe('valid');
    const { keyId, secret } = parseApiKey(minted.key)!;
    const wrong = `c360_${keyId}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    for (let i = 0; i < 2; i++) {
      expect(authenticator.cachedCheck(minted.key)?.status).toBe('valid');
      expect(authenticator.cachedCheck(wrong)).toEqual({ status: 'invalid', reason: 'unknown API key' });
      expect(await authenticator.check(wrong)).toEqual({ status: 'invalid', reason: 'unknown API key' });
    }
  });

  it('forgets the secret a record matched once the record is read again: a replaced secret no longer passes', async () => {
    let now = 0;
    const first = mintApiKey({ clientName: 'Rotated', scopes: [], purposes: [] });
    const { keyId } = parseApiKey(first.key)!;
    const second = mintApiKey({ clientName: 'Rotated', scopes: [], purposes: [] });
    const secondSecret = parseApiKey(second.key)!.secret;
    let record = first.record;
    const authenticator = new ApiKeyAuthenticator({ getApiKey: async () => record }, { cacheMs: 1000, allowDemoKeys: false }, () => now);
    expect((await authenticator.check(first.key)).status).toBe('valid');
    expect((await authenticator.check(first.key)).status).toBe('valid');
    // A longer and a shorter secret than the one matched are refused too.
    expect((await authenticator.check(`${first.key}x`)).status).toBe('invalid');
    expect((await authenticator.check(first.key.slice(0, -1))).status).toBe('invalid');
    record = { ...second.record, keyId };
    now = 1500;
    expect(await authenticator.check(first.key)).toEqual({ status: 'invalid', reason: 'unknown API key' });
    expect((await authenticator.check(`c360_${keyId}.${secondSecret}`)).status).toBe('valid');
  });

  it('reads a key once for a burst of concurrent requests that find it uncached', async () => {
    let reads = 0;
    const minted = mintApiKey({ clientName: 'Burst', scopes: [], purposes: [] });
    const store = { getApiKey: async () => (reads++, await new Promise((resolve) => setTimeout(resolve, 20)), minted.record) };
    const authenticator = new ApiKeyAuthenticator(store, { cacheMs: 1000, allowDemoKeys: false });
    const checks = await Promise.all(Array.from({ length: 10 }, () => authenticator.check(minted.key)));
    expect(checks.every((check) => check.status === 'valid')).toBe(true);
    expect(reads).toBe(1);
  });
});
