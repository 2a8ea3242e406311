import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Principal } from '../auth/principal.js';
import { rateLimited, safeErrorDetail } from '../errors.js';
import type { RateLimitStore } from './port.js';

export interface RateLimiterOptions {
  /** Requests per minute for a principal whose key sets none; 0 = no default limit. */
  readonly defaultPerMinute: number;
  /** A store slower than this admits the request (see `admit`). */
  readonly timeoutMs?: number;
  readonly logger: Logger;
}

/** At most one "store unavailable" warning per this many ms, so an outage does not flood the log. */
const WARN_EVERY_MS = 10_000;

/**
 * Per-principal token buckets (docs/security.md, "Rate limits"): a bucket
 * holds the principal's per-minute limit and refills at that many tokens per
 * minute, so a principal may burst its whole minute's budget at once and then
 * goes at its steady rate. Over it, the whole request is refused with HTTP
 * 429, `Retry-After` and RATE_LIMITED before anything is parsed or executed.
 */
export class RateLimiter {
  private lastWarnAt = 0;

  constructor(
    private readonly store: RateLimitStore,
    private readonly options: RateLimiterOptions,
  ) {}

  /** The principal's limit per minute, or undefined when it has none. */
  limitOf(principal: Principal): number | undefined {
    const own = principal.rateLimitPerMinute;
    if (typeof own === 'number' && own > 0) return own;
    return this.options.defaultPerMinute > 0 ? this.options.defaultPerMinute : undefined;
  }

  /**
   * RATE_LIMITED when the principal's bucket is empty, else undefined. A store that
   * fails or does not answer in time admits the request (fail open) with a
   * warning: the sources behind the gateway have their own breakers, and a
   * rate-limit outage must not take every partner down with it.
   */
  async admit(principal: Principal): Promise<GraphQLError | undefined> {
    const perMinute = this.limitOf(principal);
    if (perMinute === undefined) return undefined;
    let decision;
    try {
      decision = await this.store.take(
        principal.id,
        { capacity: perMinute, refillPerMs: perMinute / 60_000 },
        { signal: AbortSignal.timeout(this.options.timeoutMs ?? 250) },
      );
    } catch (error) {
      this.warnUnavailable(error);
      return undefined;
    }
    return decision.allowed ? undefined : rateLimited(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)), perMinute);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private warnUnavailable(error: unknown): void {
    const now = Date.now();
    if (now - this.lastWarnAt < WARN_EVERY_MS) return;
    this.lastWarnAt = now;
    this.options.logger.warn({ err: safeErrorDetail(error) }, 'rate-limit store unavailable; admitting requests without a limit');
  }
}
