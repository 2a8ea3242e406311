import type { GatewayServices } from '../context.js';
import { createRateLimitStore } from '../ratelimit/index.js';
import { RateLimiter } from '../ratelimit/rateLimiter.js';
import type { RequestCheck } from './checks.js';
import { refusal } from './refusals.js';

/** The principal rate limiter the configuration asks for (docs/security.md, "Rate limits"). */
export function createRateLimiter(services: GatewayServices): RateLimiter {
  const { config } = services;
  return new RateLimiter(createRateLimitStore(config.hardening.rateLimitStore, services.sources.singleView), {
    defaultPerMinute: config.hardening.rateLimitPerMinute,
    // The DynamoDB store lives in the single view: its deadline applies.
    timeoutMs: config.sources.singleview.timeoutMs,
    fallbackShare: config.hardening.rateLimitFallbackShare,
    leaseMs: config.hardening.rateLimitLeaseMs,
    logger: services.logger,
  });
}

/**
 * Takes the principal's token as the request starts, before its document is
 * even parsed. A principal with no limit (no default, none on its key) costs
 * the request nothing: no promise, no wait.
 */
export function rateLimitCheck(limiter: RateLimiter): RequestCheck {
  return {
    request({ contextValue: { principal } }) {
      if (limiter.limitOf(principal) === undefined) return undefined;
      return limiter.admit(principal).then((refused) => {
        if (refused) throw refusal(refused);
      });
    },
  };
}
