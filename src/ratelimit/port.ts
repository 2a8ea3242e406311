/**
 * Where the principals' request budgets are counted. A budget is `limit`
 * requests per fixed window (one minute, aligned to the epoch) per principal
 * (the key is the principal's id, never a secret). Gateway instances do not
 * ask the store once per request: each leases a block of tokens from the
 * window's budget and spends it locally (rateLimiter.ts), so the store takes
 * one write per block, not per request.
 *
 * In process by default (memory.ts: each instance has its own budget); in
 * the single view's DynamoDB table when several gateway instances must share
 * one budget per principal (dynamodb.ts).
 *
 * Contract (test/contracts/ratelimit.contract.ts runs it on every adapter):
 * - `lease` grants all of `tokens` or none. It grants them only when the
 *   tokens already granted from that key's window plus these stay within
 *   `limit`; concurrent leases on one key, from every instance sharing the
 *   store, never grant more than `limit` in one window.
 * - A lease reads nothing first: one conditional write per call.
 * - Windows are independent, keys are independent; a window's count is kept
 *   at least until the window ends and may then be forgotten (DynamoDB: the
 *   item carries an expiry attribute for TTL).
 * - A store that cannot answer throws; the limiter decides what that means
 *   (it never admits beyond a documented share of the budget).
 */
export interface LeaseRequest {
  /** The principal's id. */
  readonly key: string;
  /** Start of the window the tokens belong to, epoch ms, a multiple of `windowMs`. */
  readonly windowStart: number;
  readonly windowMs: number;
  /** Tokens wanted, at least 1. */
  readonly tokens: number;
  /** The principal's budget per window. */
  readonly limit: number;
}

export type LeaseOutcome = 'granted' | 'exhausted';

export interface RateLimitStore {
  lease(request: LeaseRequest, options?: { readonly signal?: AbortSignal }): Promise<LeaseOutcome>;
  close(): Promise<void>;
}
