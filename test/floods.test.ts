import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyAuthenticator, mintApiKey } from '../src/auth/apiKeys.js';
import type { ApiKeyRecord } from '../src/domain/index.js';
import { testDemoData } from './support/demo.js';
import { graphql, startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

/**
 * Floods (docs/security.md, "Floods"), replayed on loopback as the probe
 * sent them: a burst of customer reads within the rate limit, and a stream
 * of made-up API keys. While each runs, legitimate principals, with a key
 * the gateway has cached and with one it has never seen, keep being answered
 * within their deadline, and no circuit opens.
 */
const TIMEOUT_MS = 1_000;
/** Two test files share two cores; an answer within the deadline plus this shows nobody waited on the flood. */
const MARGIN_MS = 2_000;

const data = testDemoData();
const IDS = data.customers.filter((c) => !c.mergedInto).map((c) => c.id);
const HEAVY = /* GraphQL */ `
  query Heavy($id: ID!) {
    customer(id: $id) {
      id
      profile { email phone }
      identities { type value }
      events(first: 20) { edges { node { type occurredAt } } }
      segments { since }
      consents { purpose status }
      loyalty { tier }
      crm { accountManager }
    }
  }
`;

/** New keys written straight into the single view: the gateway has never looked them up. */
async function freshKeys(gw: TestGateway, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => mintApiKey({ clientName: `Partner ${i}`, scopes: ['customer:read'], purposes: ['SUPPORT'] }));
  for (const { record } of keys) await gw.gateway.services.sources.singleView.putApiKey(record);
  return keys.map(({ key }) => key);
}

/** A request from another client address on loopback (the whole 127.0.0.0/8 is this machine). */
function viewerFrom(url: string, localAddress: string, headers: Record<string, string>): Promise<{ status: number; body: unknown; retryAfter?: string }> {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ query: '{ viewer { id } }' });
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: hostname, port, path: '/graphql', method: 'POST', localAddress, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          const retryAfter = response.headers['retry-after'];
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text), ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

interface Probe {
  readonly who: string;
  readonly ms: number;
  readonly status: number;
  readonly body: unknown;
  readonly circuits: Record<string, string>;
}

function circuits(gw: TestGateway): Record<string, string> {
  const { guards, keyLookups } = gw.gateway.services.sources;
  return { singleview: guards.singleview.circuit, resolution: guards.resolution.circuit, keyLookups: keyLookups.circuit };
}

const CLOSED = { singleview: 'closed', resolution: 'closed', keyLookups: 'closed' };

describe('a flood of customer reads within the rate limit', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_SOURCE_TIMEOUT_MS: String(TIMEOUT_MS), C360_LOG_LEVEL: 'warn' });
  });
  afterAll(() => gw?.close());

  it('leaves cached and uncached principals answered in time and every circuit closed', async () => {
    const cachedKey = 'c360_demo_marketing';
    expect((await graphql(gw.url, '{ viewer { id } }', { apiKey: cachedKey })).status).toBe(200);
    const uncached = await freshKeys(gw, 8);

    let flooding = true;
    let floodAnswers = 0;
    const flood = Array.from({ length: 150 }, async (_, worker) => {
      for (let i = 0; flooding; i++) {
        await graphql(gw.url, HEAVY, { variables: { id: IDS[(worker * 7 + i) % IDS.length] }, purpose: 'support' }).catch(() => undefined);
        floodAnswers++;
      }
    });
    await sleep(500);
    const probes: Probe[] = [];
    const probe = async (who: string, apiKey: string) => {
      const started = performance.now();
      const response = await graphql(gw.url, '{ viewer { id } }', { apiKey });
      probes.push({ who, ms: performance.now() - started, status: response.status, body: response.body.data, circuits: circuits(gw) });
    };
    for (const key of uncached) {
      await Promise.all([probe('cached', cachedKey), probe('uncached', key)]);
      await sleep(250);
    }
    flooding = false;
    await Promise.all(flood);

    expect(floodAnswers).toBeGreaterThan(300);
    for (const { who, ms, status, body, circuits: state } of probes) {
      expect({ who, status, circuits: state }).toEqual({ who, status: 200, circuits: CLOSED });
      expect(body).toEqual({ viewer: { id: expect.stringMatching(/^key:/) } });
      expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    }
    expect(circuits(gw)).toEqual(CLOSED);
  });
});

describe('a flood of made-up API keys', () => {
  let gw: TestGateway;
  let lookups = 0;
  beforeAll(async () => {
    gw = await startTestGateway(
      { C360_SOURCE_TIMEOUT_MS: String(TIMEOUT_MS), C360_LOG_LEVEL: 'warn', C360_AUTH_FAILURES_PER_MINUTE: '30' },
      {
        decorateSources: (sources) => {
          const singleView = sources.singleView;
          const getApiKey = singleView.getApiKey.bind(singleView);
          singleView.getApiKey = (keyId) => {
            lookups++;
            return getApiKey(keyId);
          };
          return sources;
        },
      },
    );
  });
  afterAll(() => gw?.close());

  const madeUp = () => `c360_${randomBytes(9).toString('hex')}.${randomBytes(24).toString('base64url')}`;

  it('costs at most the address’s budget of lookups, answers the rest 429 with Retry-After, and never locks anyone else out', async () => {
    const cachedKey = 'c360_demo_support';
    expect((await viewerFrom(gw.url, '127.0.0.1', { 'x-api-key': cachedKey })).status).toBe(200);
    const uncached = await freshKeys(gw, 6);
    const lookupsBefore = lookups;

    const answers: Array<{ status: number; retryAfter?: string }> = [];
    const started = performance.now();
    const flood = (async () => {
      for (let wave = 0; wave < 9; wave++) {
        const results = await Promise.all(Array.from({ length: 100 }, () => viewerFrom(gw.url, '127.0.0.1', { 'x-api-key': madeUp() })));
        answers.push(...results.map(({ status, retryAfter }) => ({ status, ...(retryAfter ? { retryAfter } : {}) })));
      }
    })();
    const probes: Probe[] = [];
    const probe = async (who: string, address: string, apiKey: string) => {
      const started = performance.now();
      const response = await viewerFrom(gw.url, address, { 'x-api-key': apiKey });
      probes.push({ who, ms: performance.now() - started, status: response.status, body: response.body, circuits: circuits(gw) });
    };
    for (const key of uncached) {
      await Promise.all([probe('cached, same address as the flood', '127.0.0.1', cachedKey), probe('uncached, another address', '127.0.0.2', key)]);
      await sleep(100);
    }
    await flood;
    // 30 failures a minute: the budget, plus what refilled (one every 2 s) while the flood ran.
    const budget = 30 + Math.ceil((performance.now() - started) / 2_000);

    expect(answers).toHaveLength(900);
    const refused = answers.filter(({ status }) => status === 401);
    const limited = answers.filter(({ status }) => status === 429);
    expect(refused.length + limited.length).toBe(answers.length);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.length).toBeLessThanOrEqual(budget);
    expect(limited.every(({ retryAfter }) => Number(retryAfter) >= 1)).toBe(true);
    expect(lookups - lookupsBefore).toBeLessThanOrEqual(budget + uncached.length);
    for (const { who, ms, status, body, circuits: state } of probes) {
      expect({ who, status, body, circuits: state }).toEqual({ who, status: 200, body: { data: { viewer: { id: expect.stringMatching(/^key:/) } }, extensions: expect.any(Object) }, circuits: CLOSED });
      expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    }
  });

  it('refuses the flooding address with the documented answer', async () => {
    const refused = await viewerFrom(gw.url, '127.0.0.1', { 'x-api-key': madeUp() });
    expect(refused).toEqual({
      status: 429,
      retryAfter: expect.stringMatching(/^\d+$/),
      body: {
        errors: [
          {
            message: expect.stringMatching(/^Too many failed authentications from this address \(at most 30 per minute\); retry after \d+ s\.$/),
            extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) },
          },
        ],
      },
    });
  });
});

describe('the client address behind a proxy', () => {
  const flood = async (url: string, forwardedFor: (i: number) => string, count: number) => {
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) {
      statuses.push((await viewerFrom(url, '127.0.0.1', { 'x-api-key': 'c360_nobody', 'x-forwarded-for': forwardedFor(i) })).status);
    }
    return statuses;
  };

  it('is the peer by default: X-Forwarded-For sent by a client changes nothing', async () => {
    const gw = await startTestGateway({ C360_AUTH_FAILURES_PER_MINUTE: '5' });
    try {
      expect(await flood(gw.url, (i) => `198.51.100.${i}`, 8)).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    } finally {
      await gw.close();
    }
  });

  it('is the forwarded client when C360_TRUST_PROXY names the proxy: each client has its own budget', async () => {
    const gw = await startTestGateway({ C360_AUTH_FAILURES_PER_MINUTE: '5', C360_TRUST_PROXY: '127.0.0.1' });
    try {
      expect(await flood(gw.url, () => '203.0.113.7', 7)).toEqual([401, 401, 401, 401, 401, 429, 429]);
      expect(await flood(gw.url, () => '203.0.113.8', 2)).toEqual([401, 401]);
    } finally {
      await gw.close();
    }
  });
});

describe('the key cache', () => {
  const record = (key: ReturnType<typeof mintApiKey>) => key;
  const keys = Array.from({ length: 4 }, (_, i) => record(mintApiKey({ clientName: `K${i}`, scopes: [], purposes: [] })));
  const storeOf = (reads: string[]) => ({
    getApiKey: async (keyId: string): Promise<ApiKeyRecord | null> => {
      reads.push(keyId);
      return keys.find((k) => k.record.keyId === keyId)?.record ?? null;
    },
  });

  it('evicts the least recently used key, not every key at once', async () => {
    const reads: string[] = [];
    const cache = new ApiKeyAuthenticator(storeOf(reads), { cacheMs: 60_000, allowDemoKeys: false, cacheSize: 3 });
    const [a, b, c, d] = keys.map((k) => k.key) as [string, string, string, string];
    for (const key of [a, b, c, a, d, a, c]) expect((await cache.check(key)).status).toBe('valid');
    // d took b's place (least recently used); a and c were never read again.
    expect(reads).toEqual([keys[0]!.record.keyId, keys[1]!.record.keyId, keys[2]!.record.keyId, keys[3]!.record.keyId]);
  });

  it('remembers an unknown key for a short time, and made-up keys never push out a known one', async () => {
    const reads: string[] = [];
    let now = 0;
    const cache = new ApiKeyAuthenticator(storeOf(reads), { cacheMs: 60_000, allowDemoKeys: false, cacheSize: 2, negativeCacheMs: 1_000 }, () => now);
    const known = keys[0]!.key;
    const unknown = 'c360_madeup.abcdefghijklmnopqrstuvwxyz';
    await cache.check(known);
    for (let i = 0; i < 5; i++) expect(await cache.check(unknown)).toEqual({ status: 'invalid', reason: 'unknown API key' });
    for (let i = 0; i < 20; i++) await cache.check(`c360_madeup${i}.abcdefghijklmnopqrstuvwxyz`);
    expect((await cache.check(known)).status).toBe('valid');
    expect(reads.filter((id) => id === keys[0]!.record.keyId)).toHaveLength(1);
    expect(reads.filter((id) => id === 'madeup')).toHaveLength(1);
    now = 1_500;
    await cache.check(unknown);
    expect(reads.filter((id) => id === 'madeup')).toHaveLength(2);
  });
});
