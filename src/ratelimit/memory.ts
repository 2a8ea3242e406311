import { LRUCache } from 'lru-cache';
import type { BucketPolicy, RateDecision, RateLimitStore } from './port.js';
import { takeToken } from './tokenBucket.js';
import type { BucketState } from './tokenBucket.js';

/**
 * Buckets in this process: each gateway instance enforces the limit on its
 * own share of the traffic. The least recently used buckets are dropped past
 * `maxBuckets`; a dropped bucket comes back full, which is what an idle
 * principal's bucket would be anyway.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets: LRUCache<string, BucketState>;

  constructor(
    maxBuckets = 100_000,
    private readonly clock: () => number = Date.now,
  ) {
    this.buckets = new LRUCache({ max: maxBuckets });
  }

  async take(key: string, policy: BucketPolicy): Promise<RateDecision> {
    const { decision, next } = takeToken(this.buckets.get(key), policy, this.clock());
    if (decision.allowed) this.buckets.set(key, next);
    return decision;
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}
