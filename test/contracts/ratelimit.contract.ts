import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BucketPolicy, RateLimitStore } from '../../src/ratelimit/port.js';

/** A clock the test moves by hand. */
export interface ManualClock {
  now: number;
  readonly read: () => number;
}

export function manualClock(start = Date.parse('2026-11-01T00:00:00.000Z')): ManualClock {
  const clock = { now: start, read: () => clock.now };
  return clock;
}

export type RateLimitStoreFactory = (clock: () => number) => Promise<{ store: RateLimitStore; cleanup(): Promise<void> }>;

/** 6 per minute: a burst of 6, then one token every 10 s. */
const SIX_PER_MINUTE: BucketPolicy = { capacity: 6, refillPerMs: 6 / 60_000 };

/** The rate-limit store port's contract (src/ratelimit/port.ts); every adapter runs it. */
export function defineRateLimitStoreContract(adapter: string, factory: RateLimitStoreFactory): void {
  describe(`rate-limit store contract: ${adapter}`, () => {
    const clock = manualClock();
    let store: RateLimitStore;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await factory(clock.read));
    });
    afterAll(() => cleanup?.());

    it('allows a full bucket, then refuses with the wait for the next token', async () => {
      const decisions = [];
      for (let i = 0; i < 7; i++) decisions.push(await store.take('principal-a', SIX_PER_MINUTE));
      expect(decisions).toEqual([
        { allowed: true, remaining: 5 },
        { allowed: true, remaining: 4 },
        { allowed: true, remaining: 3 },
        { allowed: true, remaining: 2 },
        { allowed: true, remaining: 1 },
        { allowed: true, remaining: 0 },
        { allowed: false, retryAfterMs: 10_000 },
      ]);
    });

    it('refills with time, never beyond the capacity', async () => {
      clock.now += 4_000;
      expect(await store.take('principal-a', SIX_PER_MINUTE)).toEqual({ allowed: false, retryAfterMs: 6_000 });
      clock.now += 6_000;
      expect(await store.take('principal-a', SIX_PER_MINUTE)).toEqual({ allowed: true, remaining: 0 });
      clock.now += 3_600_000;
      expect(await store.take('principal-a', SIX_PER_MINUTE)).toEqual({ allowed: true, remaining: 5 });
    });

    it('keeps one bucket per key', async () => {
      expect(await store.take('principal-b', { capacity: 1, refillPerMs: 1 / 60_000 })).toEqual({ allowed: true, remaining: 0 });
      expect(await store.take('principal-b', { capacity: 1, refillPerMs: 1 / 60_000 })).toEqual({ allowed: false, retryAfterMs: 60_000 });
      expect(await store.take('principal-c', { capacity: 1, refillPerMs: 1 / 60_000 })).toEqual({ allowed: true, remaining: 0 });
    });

    it('never hands out more tokens than the bucket holds to concurrent takes', async () => {
      const decisions = await Promise.all(Array.from({ length: 20 }, () => store.take('principal-d', SIX_PER_MINUTE)));
      expect(decisions.filter((decision) => decision.allowed)).toHaveLength(6);
    });
  });
}
