import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext, GatewayServices } from '../context.js';
import { createRateLimitStore } from '../ratelimit/index.js';
import { RateLimiter } from '../ratelimit/rateLimiter.js';
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

/** Takes the principal's token as the request starts, before its document is even parsed. */
export function rateLimitPlugin(limiter: RateLimiter): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const refused = await limiter.admit(contextValue.principal);
      if (refused) throw refusal(refused);
    },
  };
}
