/**
 * Where the token buckets live. One bucket per principal (the key is the
 * principal's id, never a secret). In process by default (memory.ts); in the
 * single view's DynamoDB table when several gateway instances must share one
 * budget per principal (dynamodb.ts).
 *
 * Contract: `take` removes one token from the bucket named `key` when it
 * holds at least one after refilling, and says how long until the next token
 * when it does not. Concurrent takes on one key never hand out more tokens
 * than the bucket holds, across every instance sharing the store.
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

export interface RateLimitStore {
  take(key: string, policy: BucketPolicy, options?: { readonly signal?: AbortSignal }): Promise<RateDecision>;
  close(): Promise<void>;
}
