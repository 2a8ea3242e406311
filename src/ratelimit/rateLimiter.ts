import type { GraphQLError } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import { rateLimitUnchecked, rateLimited, safeErrorDetail } from '../errors.js';
import type { RateLimitStore } from './port.js';

export interface RateLimiterOptions {
  /** Requests per minute for a principal whose key sets none; 0 = no default limit. */
  readonly defaultPerMinute: number;
  /** A lease slower than this counts as the store failing. */
  readonly timeoutMs?: number;
  /**
   * Share of each principal's budget (0–1) this instance admits on its own, per
   * window, while the store cannot be reached; 0 (the default) refuses. With N
   * instances, 1/N keeps the total within one budget.
   */
  readonly fallbackShare?: number;
  /** How long a leased block should last at the principal's recent rate on this instance. */
  readonly leaseMs?: number;
  readonly logger: Logger;
  readonly clock?: () => number;
}

/** Budgets are per minute, in windows aligned to the epoch. */
export const RATE_LIMIT_WINDOW_MS = 60_000;
/** A block is at most this share of the budget: the most one instance can hold unused at a window's end. */
const MAX_BLOCK_DIVISOR = 20;
/** A block grows at most this much from the last, and shrinks by it when the window cannot grant it. */
const BLOCK_FACTOR = 4;
/** After the store failed, this instance does not ask it again for this long. */
const STORE_RETRY_MS = 1_000;
/** Leases one request may wait through before it is refused (its principal floods this instance). */
const MAX_ROUNDS = 16;
/** At most one "store unavailable" warning per this many ms, so an outage does not flood the log. */
const WARN_EVERY_MS = 10_000;
/** Principals tracked per instance; a dropped one starts its window again with no leased tokens. */
const MAX_PRINCIPALS = 100_000;

/** One principal's window on this instance: tokens leased and not yet spent, and the pace it spends them at. */
interface Allowance {
  readonly windowStart: number;
  tokens: number;
  /** The window's budget is spent (the store refused a lease of one token). */
  exhausted: boolean;
  /** Requests this instance admitted in this window. */
  admitted: number;
  /** Size of the last block, when it was leased, and tokens spent since. */
  block: number;
  leasedAt: number;
  spentSinceLease: number;
  /** Requests waiting for the lease in flight. */
  waiting: number;
  pending: Promise<void> | undefined;
}

/**
 * Per-principal budgets (docs/security.md, "Rate limits"): at most the
 * principal's limit per minute window. Over it, the whole request is refused
 * with HTTP 429, `Retry-After` and RATE_LIMITED before anything is parsed or
 * executed.
 *
 * The instance leases tokens from the store in blocks sized to last about
 * `leaseMs` at the principal's recent pace here (growing at most fourfold per
 * lease, at most 1/20 of the budget), and spends them locally; a spent window
 * is remembered until it ends, so refusals cost the store nothing. Busy
 * principals thus cost about one store write per instance per `leaseMs`,
 * whatever their request rate. Tokens leased and not spent by the window's
 * end are lost: instances together admit at most the budget, not exactly it.
 *
 * Fails closed: while the store fails or is slower than `timeoutMs`, the
 * instance admits at most `fallbackShare` of each budget per window on its
 * own (tokens already leased still count) and refuses the rest with
 * RATE_LIMITED and Retry-After.
 */
export class RateLimiter {
  private readonly allowances = new LRUCache<string, Allowance>({ max: MAX_PRINCIPALS });
  private readonly clock: () => number;
  private storeRetryAt = 0;
  private lastWarnAt = -Infinity;

  constructor(
    private readonly store: RateLimitStore,
    private readonly options: RateLimiterOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  /** The principal's limit per minute, or undefined when it has none. */
  limitOf(principal: Principal): number | undefined {
    const own = principal.rateLimitPerMinute;
    if (typeof own === 'number' && own > 0) return own;
    return this.options.defaultPerMinute > 0 ? this.options.defaultPerMinute : undefined;
  }

  /** RATE_LIMITED when the principal is over its budget (or it cannot be checked), else undefined. */
  async admit(principal: Principal): Promise<GraphQLError | undefined> {
    const limit = this.limitOf(principal);
    if (limit === undefined) return undefined;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const now = this.clock();
      const allowance = this.allowanceFor(principal.id, now);
      if (allowance.tokens > 0) return this.spend(allowance);
      const windowEnd = allowance.windowStart + RATE_LIMIT_WINDOW_MS;
      if (allowance.exhausted) return rateLimited(secondsUntil(windowEnd, now), limit);
      if (now < this.storeRetryAt) return this.fallback(allowance, limit, now);
      allowance.pending ??= this.leaseBlock(principal.id, allowance, limit).finally(() => (allowance.pending = undefined));
      allowance.waiting += 1;
      try {
        await allowance.pending;
      } finally {
        allowance.waiting -= 1;
      }
    }
    return rateLimitUnchecked(1, limit);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private allowanceFor(key: string, now: number): Allowance {
    const windowStart = now - (now % RATE_LIMIT_WINDOW_MS);
    const current = this.allowances.get(key);
    if (current?.windowStart === windowStart) return current;
    // A new window keeps the pace of the last, so a busy principal starts with a block that fits it.
    const next: Allowance = {
      windowStart,
      tokens: 0,
      exhausted: false,
      admitted: 0,
      block: current?.block ?? 0,
      leasedAt: current?.leasedAt ?? now,
      spentSinceLease: current?.spentSinceLease ?? 0,
      waiting: 0,
      pending: undefined,
    };
    this.allowances.set(key, next);
    return next;
  }

  private spend(allowance: Allowance): undefined {
    allowance.tokens -= 1;
    allowance.admitted += 1;
    allowance.spentSinceLease += 1;
    return undefined;
  }

  /** Leases the next block, shrinking it while the window cannot grant it; a block of one refused means the window is spent. */
  private async leaseBlock(key: string, allowance: Allowance, limit: number): Promise<void> {
    let tokens = this.blockSize(allowance, limit);
    for (;;) {
      let outcome;
      try {
        outcome = await this.store.lease(
          { key, windowStart: allowance.windowStart, windowMs: RATE_LIMIT_WINDOW_MS, tokens, limit },
          { signal: AbortSignal.timeout(this.options.timeoutMs ?? 250) },
        );
      } catch (error) {
        this.storeFailed(error);
        return;
      }
      if (outcome === 'granted') {
        allowance.tokens += tokens;
        allowance.block = tokens;
        allowance.leasedAt = this.clock();
        allowance.spentSinceLease = 0;
        return;
      }
      if (tokens === 1) {
        allowance.exhausted = true;
        return;
      }
      tokens = Math.max(1, Math.floor(tokens / BLOCK_FACTOR));
    }
  }

  /** Enough for `leaseMs` at the pace since the last lease, and for everyone waiting; within the growth and budget bounds. */
  private blockSize(allowance: Allowance, limit: number): number {
    const most = Math.max(1, Math.floor(limit / MAX_BLOCK_DIVISOR));
    const elapsed = Math.max(1, this.clock() - allowance.leasedAt);
    const byPace = Math.ceil((allowance.spentSinceLease / elapsed) * (this.options.leaseMs ?? 1_000));
    const grown = Math.max(1, allowance.block) * BLOCK_FACTOR;
    return Math.min(most, Math.max(1, allowance.waiting, Math.min(byPace, grown)));
  }

  private fallback(allowance: Allowance, limit: number, now: number): GraphQLError | undefined {
    const share = Math.floor(limit * (this.options.fallbackShare ?? 0));
    if (allowance.admitted < share) return this.spend(allowance);
    return rateLimitUnchecked(secondsUntil(this.storeRetryAt, now), limit);
  }

  private storeFailed(error: unknown): void {
    const now = this.clock();
    this.storeRetryAt = now + STORE_RETRY_MS;
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    const share = this.options.fallbackShare ?? 0;
    this.options.logger.warn(
      { err: safeErrorDetail(error), fallbackShare: share },
      share > 0 ? 'rate-limit store unavailable; admitting this instance’s share of each budget' : 'rate-limit store unavailable; refusing limited principals',
    );
  }
}

function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}
