import { GraphQLError } from 'graphql';
import { LRUCache } from 'lru-cache';
import { ErrorCode } from '../errors.js';
import { takeToken } from '../ratelimit/tokenBucket.js';
import type { BucketState } from '../ratelimit/tokenBucket.js';

/** Addresses tracked at once; the least recently seen go first (a dropped one comes back with a full budget). */
const MAX_ADDRESSES = 100_000;

/**
 * Failed authentications per client address (docs/security.md, "Floods"): a
 * token bucket of `perMinute` failures per address, refilled at that rate.
 * An address that has spent it is refused with 429 before its credential
 * costs anything (no key lookup, no signature check), until the bucket
 * refills; a key the gateway already knows to be valid still gets through.
 * The address is Fastify's `request.ip`: the peer, or the client named by
 * X-Forwarded-For only when C360_TRUST_PROXY trusts the proxy.
 */
export class AuthFailureLimiter {
  private readonly buckets = new LRUCache<string, BucketState>({ max: MAX_ADDRESSES });

  constructor(
    private readonly perMinute: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Throws RATE_LIMITED (429, Retry-After) when `address` has no failed attempts left. */
  assertAllowed(address: string | undefined): void {
    if (this.perMinute === 0 || address === undefined) return;
    const state = this.buckets.get(address);
    if (!state) return;
    // A trial take on a copy: refused means not even one attempt is left.
    const { decision } = takeToken(state, this.policy(), this.clock());
    if (!decision.allowed) throw tooManyFailures(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)), this.perMinute);
  }

  /**
   * For a check that costs a lookup: one attempt is spent up front (429 when
   * none is left) and given back if the credential turns out valid, so that
   * concurrent made-up keys from one address cannot all start lookups before
   * the first of them fails.
   */
  reserve(address: string | undefined): { refund(): void } {
    this.assertAllowed(address);
    this.recordFailure(address);
    let refunded = false;
    return {
      refund: () => {
        if (refunded || this.perMinute === 0 || address === undefined) return;
        refunded = true;
        const state = this.buckets.get(address);
        if (state) this.buckets.set(address, { ...state, tokens: Math.min(this.perMinute, state.tokens + 1) });
      },
    };
  }

  recordFailure(address: string | undefined): void {
    if (this.perMinute === 0 || address === undefined) return;
    const { next } = takeToken(this.buckets.get(address), this.policy(), this.clock());
    this.buckets.set(address, next);
  }

  private policy() {
    return { capacity: this.perMinute, refillPerMs: this.perMinute / 60_000 };
  }
}

function tooManyFailures(retryAfterSeconds: number, perMinute: number): GraphQLError {
  return new GraphQLError(
    `Too many failed authentications from this address (at most ${perMinute} per minute); retry after ${retryAfterSeconds} s.`,
    {
      extensions: {
        code: ErrorCode.RATE_LIMITED,
        retryAfter: retryAfterSeconds,
        http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
      },
    },
  );
}
