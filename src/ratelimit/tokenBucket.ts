/**
 * A token bucket in process, for the failed-authentication limit per client
 * address (src/auth/failureLimiter.ts). Principals' request budgets are
 * counted in windows instead (rateLimiter.ts), so that instances can share them.
 */
export interface BucketPolicy {
  /** Tokens the bucket holds when full: the largest burst. */
  readonly capacity: number;
  /** Tokens added per millisecond. */
  readonly refillPerMs: number;
}

export type RateDecision =
  | { readonly allowed: true; readonly remaining: number }
  | { readonly allowed: false; readonly retryAfterMs: number };

/** A bucket as stored: tokens left at `updatedAt` (epoch ms). */
export interface BucketState {
  readonly tokens: number;
  readonly updatedAt: number;
}

export interface TakeOutcome {
  readonly decision: RateDecision;
  /** The state to store when the take was allowed; unchanged when refused. */
  readonly next: BucketState;
}

/**
 * One take from a token bucket: refill for the time since the last update
 * (a new bucket starts full), then spend one token if there is one. A clock
 * that went backwards (another instance's skew) refills nothing.
 */
export function takeToken(state: BucketState | undefined, policy: BucketPolicy, now: number): TakeOutcome {
  const elapsed = state ? Math.max(0, now - state.updatedAt) : 0;
  const tokens = state ? Math.min(policy.capacity, state.tokens + elapsed * policy.refillPerMs) : policy.capacity;
  const updatedAt = state ? Math.max(now, state.updatedAt) : now;
  if (tokens >= 1) {
    return { decision: { allowed: true, remaining: Math.floor(tokens - 1) }, next: { tokens: tokens - 1, updatedAt } };
  }
  const retryAfterMs = Math.ceil((1 - tokens) / policy.refillPerMs);
  return { decision: { allowed: false, retryAfterMs }, next: { tokens, updatedAt } };
}
