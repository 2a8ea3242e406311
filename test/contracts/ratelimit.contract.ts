import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LeaseRequest, RateLimitStore } from '../../src/ratelimit/port.js';

export type RateLimitStoreFactory = () => Promise<{ store: RateLimitStore; cleanup(): Promise<void> }>;

const WINDOW_MS = 60_000;
const WINDOW = Date.parse('2026-11-01T00:00:00.000Z');

function request(key: string, tokens: number, limit: number, windowStart = WINDOW): LeaseRequest {
  return { key, windowStart, windowMs: WINDOW_MS, tokens, limit };
}

/** The rate-limit store port's contract (src/ratelimit/port.ts); every adapter runs it. */
export function defineRateLimitStoreContract(adapter: string, factory: RateLimitStoreFactory): void {
  describe(`rate-limit store contract: ${adapter}`, () => {
    let store: RateLimitStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await factory());
    });
    afterAll(() => cleanup?.());

    it('grants blocks while the window’s budget holds them, all or nothing', async () => {
      const outcomes = [];
      for (const tokens of [4, 4, 3, 2, 1, 1]) outcomes.push(await store.lease(request('principal-a', tokens, 10)));
      // 4 + 4 = 8; 3 more would make 11; 2 fits (10); then nothing is left.
      expect(outcomes).toEqual(['granted', 'granted', 'exhausted', 'granted', 'exhausted', 'exhausted']);
    });

    it('refuses a block larger than the budget', async () => {
      expect(await store.lease(request('principal-e', 11, 10))).toBe('exhausted');
      expect(await store.lease(request('principal-e', 10, 10))).toBe('granted');
    });

    it('keeps one count per key and per window', async () => {
      expect(await store.lease(request('principal-b', 1, 1))).toBe('granted');
      expect(await store.lease(request('principal-b', 1, 1))).toBe('exhausted');
      expect(await store.lease(request('principal-c', 1, 1))).toBe('granted');
      expect(await store.lease(request('principal-b', 1, 1, WINDOW + WINDOW_MS))).toBe('granted');
      expect(await store.lease(request('principal-b', 1, 1, WINDOW - WINDOW_MS))).toBe('granted');
    });

    it('never grants more than the budget to concurrent leases', async () => {
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.lease(request('principal-d', 1 + (i % 3), 12))));
      const granted = outcomes.reduce((sum, outcome, i) => sum + (outcome === 'granted' ? 1 + (i % 3) : 0), 0);
      expect(granted).toBeLessThanOrEqual(12);
      // Single tokens are among the 20, so whatever the order, concurrent leases fill the budget up to its last 2 tokens.
      expect(granted).toBeGreaterThanOrEqual(11);
    });
  });
}
