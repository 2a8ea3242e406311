import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClients } from '../connectors/singleview/dynamodb.js';
import type { Principal } from '../src/auth/principal.js';
import { DynamoRateLimitStore } from '../src/ratelimit/dynamodb.js';
import type { LeaseOutcome, LeaseRequest, RateLimitStore } from '../src/ratelimit/port.js';
import { RATE_LIMIT_WINDOW_MS, RateLimiter } from '../src/ratelimit/rateLimiter.js';
import type { RateLimiterOptions } from '../src/ratelimit/rateLimiter.js';
import { startSingleView } from './support/dynalite.js';
import { startFailingDynamo } from './support/throttlingDynamo.js';

/** Counts the leases that reach the real store, per window item. */
class CountingStore implements RateLimitStore {
  readonly leases: LeaseRequest[] = [];
  constructor(private readonly inner: RateLimitStore) {}
  lease(request: LeaseRequest, options?: { signal?: AbortSignal }): Promise<LeaseOutcome> {
    this.leases.push(request);
    return this.inner.lease(request, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

function partner(id: string, perMinute: number): Principal {
  return { kind: 'apiKey', id, name: id, scopes: new Set(), purposes: new Set(), rateLimitPerMinute: perMinute, trustedDocumentsOnly: false };
}

const silentLogger = pino({ level: 'silent' });
const WINDOW = Date.parse('2026-11-01T10:00:00.000Z');

function limiter(store: RateLimitStore, clock: { now: number }, options: Partial<RateLimiterOptions> = {}): RateLimiter {
  return new RateLimiter(store, { defaultPerMinute: 0, timeoutMs: 2_000, logger: silentLogger, clock: () => clock.now, ...options });
}

async function admitted(limiters: readonly RateLimiter[], principal: Principal, requests: number): Promise<{ admitted: number; refusals: Set<string> }> {
  const results = await Promise.all(Array.from({ length: requests }, (_, i) => limiters[i % limiters.length]!.admit(principal)));
  const refusals = new Set(results.filter((error) => error !== undefined).map((error) => `${error.extensions.code} ${error.extensions.retryAfter}`));
  return { admitted: results.filter((error) => error === undefined).length, refusals };
}

describe('leased tokens on DynamoDB (dynalite), two instances', () => {
  let singleView: Awaited<ReturnType<typeof startSingleView>>;
  let second: ReturnType<typeof createDynamoClients>;
  const stores: CountingStore[] = [];
  beforeAll(async () => {
    singleView = await startSingleView();
    second = createDynamoClients({ endpoint: singleView.dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, tablePrefix: '' });
    stores.push(new CountingStore(new DynamoRateLimitStore(singleView.store.document, singleView.store.tables.rateLimits)));
    stores.push(new CountingStore(new DynamoRateLimitStore(second.document, singleView.store.tables.rateLimits)));
  });
  afterAll(async () => {
    second?.client.destroy();
    await singleView?.close();
  });

  it('admits at most the budget from a flood of concurrent requests to both, with far fewer writes than requests', async () => {
    const clock = { now: WINDOW + 1_000 };
    const instances = stores.map((store) => limiter(store, clock));
    const flood = partner('flood', 600);
    let total = 0;
    // Five waves of 300 concurrent requests within one window.
    for (let wave = 0; wave < 5; wave++) {
      const { admitted: n, refusals } = await admitted(instances, flood, 300);
      total += n;
      clock.now += 1_000;
      if (wave === 4) expect([...refusals]).toEqual([`RATE_LIMITED ${Math.ceil((WINDOW + RATE_LIMIT_WINDOW_MS - clock.now + 1_000) / 1000)}`]);
    }
    expect(total).toBeLessThanOrEqual(600);
    // Unspent blocks of at most 1/20 of the budget on each instance are all that can be lost.
    expect(total).toBeGreaterThanOrEqual(600 - 2 * 30);
    const leases = stores.flatMap((store) => store.leases).filter((lease) => lease.key === 'flood');
    expect(leases.length).toBeLessThan(total / 4);
  });

  it('costs the busiest item a few writes per second at 2,000 requests per second, and nothing once the window is spent', async () => {
    const clock = { now: WINDOW + RATE_LIMIT_WINDOW_MS };
    const instances = stores.map((store) => limiter(store, clock));
    const busy = partner('busy', 2_000 * 60);
    for (const store of stores) store.leases.length = 0;
    // 2,000 requests per second for 10 s of the test's clock, in rounds of 20 every 10 ms.
    let total = 0;
    for (let tick = 0; tick < 1_000; tick++) {
      total += (await admitted(instances, busy, 20)).admitted;
      clock.now += 10;
    }
    const writes = stores.flatMap((store) => store.leases).filter((lease) => lease.key === 'busy').length;
    expect(total).toBe(20_000);
    expect(writes / 10).toBeLessThanOrEqual(10);

    // A partner over its budget: once its window is spent, refusals reach the store no more.
    const small = partner('small', 100);
    expect((await admitted(instances, small, 150)).admitted).toBeLessThanOrEqual(100);
    const before = stores.reduce((sum, store) => sum + store.leases.length, 0);
    const { admitted: more, refusals } = await admitted(instances, small, 500);
    expect(more).toBe(0);
    expect(refusals.size).toBe(1);
    expect(stores.reduce((sum, store) => sum + store.leases.length, 0)).toBe(before);
  });

  it('starts a fresh budget in the next window', async () => {
    const clock = { now: WINDOW + 5 * RATE_LIMIT_WINDOW_MS };
    const one = limiter(stores[0]!, clock);
    const key = partner('windows', 3);
    expect((await admitted([one], key, 5)).admitted).toBe(3);
    clock.now += RATE_LIMIT_WINDOW_MS;
    expect((await admitted([one], key, 5)).admitted).toBe(3);
  });
});

describe('a rate-limit store that throttles or fails never lets more than the budget through', () => {
  it('refuses every limited request with RATE_LIMITED and Retry-After when DynamoDB throttles (default share 0), and asks it at most once a second', async () => {
    const failing = await startFailingDynamo('throttle');
    const { document, client } = createDynamoClients({ endpoint: failing.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, tablePrefix: '' });
    try {
      const clock = { now: WINDOW + 10_000 };
      const instance = limiter(new DynamoRateLimitStore(document, 'c360_rate_limits'), clock);
      const results = await Promise.all(Array.from({ length: 50 }, () => instance.admit(partner('throttled', 1_000))));
      expect(results.every((error) => error?.extensions.code === 'RATE_LIMITED' && error.extensions.retryAfter === 1)).toBe(true);
      expect(results[0]!.message).toBe('Rate limit of 1000 requests per minute could not be checked; retry after 1 s.');
      for (let i = 0; i < 100; i++) await instance.admit(partner('throttled', 1_000));
      expect(failing.calls()).toBe(1);
      clock.now += 1_000;
      await instance.admit(partner('throttled', 1_000));
      expect(failing.calls()).toBe(2);
    } finally {
      client.destroy();
      await failing.close();
    }
  });

  it('admits only the configured per-instance share of the budget while the store throttles', async () => {
    const failing = await startFailingDynamo('throttle');
    const { document, client } = createDynamoClients({ endpoint: failing.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, tablePrefix: '' });
    try {
      const clock = { now: WINDOW + 10_000 };
      const instances = [0, 1].map(() => limiter(new DynamoRateLimitStore(document, 'c360_rate_limits'), clock, { fallbackShare: 0.5 }));
      let total = 0;
      for (let second = 0; second < 40; second++) {
        total += (await admitted(instances, partner('share', 100), 20)).admitted;
        clock.now += 1_000;
      }
      // 800 requests in one window; each instance admits at most half the budget on its own.
      expect(total).toBe(100);
    } finally {
      client.destroy();
      await failing.close();
    }
  });

  it('refuses when the store does not answer within the deadline', async () => {
    const silent = await startFailingDynamo('silent');
    const { document, client } = createDynamoClients({ endpoint: silent.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, tablePrefix: '' });
    try {
      const instance = limiter(new DynamoRateLimitStore(document, 'c360_rate_limits'), { now: WINDOW }, { timeoutMs: 100 });
      const refused = await instance.admit(partner('silent', 1_000));
      expect(refused?.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 1 });
    } finally {
      client.destroy();
      await silent.close();
    }
  });

  it('stays within the budget when dynalite stops in the middle of a window', async () => {
    const singleView = await startSingleView();
    const clock = { now: WINDOW + 3_000 };
    const instances = [0, 1].map(() => limiter(new DynamoRateLimitStore(singleView.store.document, singleView.store.tables.rateLimits), clock, { timeoutMs: 500 }));
    const key = partner('outage', 200);
    let total = (await admitted(instances, key, 150)).admitted;
    await singleView.dynamo.close();
    for (let second = 0; second < 20; second++) {
      total += (await admitted(instances, key, 50)).admitted;
      clock.now += 1_000;
    }
    expect(total).toBeGreaterThanOrEqual(150 - 2 * 10);
    expect(total).toBeLessThanOrEqual(200);
    await singleView.store.close();
  });
});
