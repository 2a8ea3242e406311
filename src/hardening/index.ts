import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext, GatewayServices } from '../context.js';
import { registerHttpHygiene } from './http.js';
import { introspectionPlugin } from './introspection.js';
import { operationLimits } from './operationLimits.js';
import { createRateLimiter, rateLimitPlugin } from './rateLimits.js';
import { refusalPlugin } from './refusals.js';
import { Drain } from './shutdown.js';
import { trustedDocumentsPlugin } from './trustedDocuments.js';
import type { TrustedDocuments } from './trustedDocuments.js';

export { ShutdownHooks } from './shutdown.js';
export { loadTrustedDocuments } from './trustedDocuments.js';

type HardenedApolloOptions = Pick<
  ApolloServerOptions<GatewayContext>,
  'validationRules' | 'allowBatchedHttpRequests' | 'csrfPrevention' | 'hideSchemaDetailsFromClientErrors' | 'persistedQueries' | 'introspection'
>;

/** Everything docs/security.md describes, wired into Fastify and Apollo Server by src/server.ts. */
export interface Hardening {
  /** Options for `Fastify(...)`. */
  readonly fastifyOptions: { readonly bodyLimit: number; readonly return503OnClosing: false };
  /** Spread into the ApolloServer options. */
  readonly apolloOptions: HardenedApolloOptions;
  /** Added to the ApolloServer plugins. */
  readonly plugins: ReadonlyArray<ApolloServerPlugin<GatewayContext>>;
  /** CORS, security headers and the drain hooks; before any route. */
  register(app: FastifyInstance): Promise<void>;
  /** From now on new requests get 503 SHUTTING_DOWN and responses close their connection. */
  beginDrain(): void;
  close(): Promise<void>;
}

/**
 * Builds the protections from the configuration: operation limits,
 * introspection and suggestions, trusted documents (the manifest is loaded
 * before the sources open, so a bad one stops the start early), rate limits
 * and request hygiene.
 */
export function createHardening(services: GatewayServices, trustedDocuments: TrustedDocuments): Hardening {
  const { config } = services;
  const settings = config.hardening;
  const demo = config.demo.enabled;
  const limits = operationLimits(settings.limits);
  const rateLimiter = createRateLimiter(services);
  const drain = new Drain();
  return {
    fastifyOptions: { bodyLimit: settings.bodyLimitBytes, return503OnClosing: false },
    apolloOptions: {
      validationRules: limits.validationRules,
      // One operation per HTTP request: a batch would multiply every limit above.
      allowBatchedHttpRequests: false,
      // Every authenticated request carries x-api-key or authorization, headers a
      // browser only sends cross-origin after a CORS preflight, so they count as
      // Apollo's CSRF proof like its own preflight headers (and GET works for clients).
      csrfPrevention: { requestHeaders: ['x-apollo-operation-name', 'apollo-require-preflight', 'x-api-key', 'authorization'] },
      // "Did you mean …" suggestions leak the schema; kept in demo mode, where introspection is open anyway.
      hideSchemaDetailsFromClientErrors: !demo,
      // Ours (trustedDocuments.ts): who may register depends on the principal.
      persistedQueries: false,
      // On at Apollo's level; introspectionPlugin decides per principal.
      introspection: true,
    },
    plugins: [
      refusalPlugin(),
      rateLimitPlugin(rateLimiter),
      trustedDocumentsPlugin(trustedDocuments, settings.apqCacheSize),
      ...limits.plugins,
      introspectionPlugin({ openToAll: demo }),
      // The console's explorer (/explorer) is the gateway's IDE; Apollo's landing page loads from a CDN.
      ApolloServerPluginLandingPageDisabled(),
    ],
    async register(app) {
      drain.register(app);
      await registerHttpHygiene(app, settings.corsOrigins);
    },
    beginDrain: () => drain.begin(),
    close: () => rateLimiter.close(),
  };
}
