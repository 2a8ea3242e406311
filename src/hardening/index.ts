import type { ApolloServerOptions, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { FastifyInstance } from 'fastify';
import type { GatewayContext, GatewayServices } from '../context.js';
import { operationNameCheck } from '../audit/operationName.js';
import { AdmissionControl, admissionPlugin } from './admission.js';
import { requestChecksPlugin } from './checks.js';
import { registerGraphQLHeaders, registerHttpHygiene } from './http.js';
import { introspectionCheck } from './introspection.js';
import { operationLimits } from './operationLimits.js';
import { createRateLimiter, rateLimitCheck } from './rateLimits.js';
import { refusalPlugin } from './refusals.js';
import { SlowClients } from './slowClients.js';
import type { ConnectionOptions } from './slowClients.js';
import { Drain } from './shutdown.js';
import { subscriptionRefusalCheck } from './subscriptions.js';
import { trustedDocumentsCheck } from './trustedDocuments.js';
import type { TrustedDocuments } from './trustedDocuments.js';
import { variableErrorsCheck } from './variableErrors.js';

export { ShutdownHooks } from './shutdown.js';
export { loadTrustedDocuments } from './trustedDocuments.js';

type HardenedApolloOptions = Pick<
  ApolloServerOptions<GatewayContext>,
  'validationRules' | 'allowBatchedHttpRequests' | 'csrfPrevention' | 'hideSchemaDetailsFromClientErrors' | 'persistedQueries' | 'introspection'
>;

/** Everything docs/security.md describes, wired into Fastify and Apollo Server by src/server.ts. */
export interface Hardening {
  /** Options for `Fastify(...)`. */
  readonly fastifyOptions: ConnectionOptions & {
    readonly bodyLimit: number;
    readonly return503OnClosing: false;
    readonly trustProxy: boolean | string[] | ((address: string, hop: number) => boolean);
  };
  /** Operations running and waiting for a slot (/readyz). */
  readonly admission: AdmissionControl;
  /** Connections cut off for sending too slowly, by limit. */
  readonly slowClients: SlowClients;
  /** Spread into the ApolloServer options. */
  readonly apolloOptions: HardenedApolloOptions;
  /** Added to the ApolloServer plugins. */
  readonly plugins: ReadonlyArray<ApolloServerPlugin<GatewayContext>>;
  /** CORS, security headers and the drain hooks; before any route. */
  register(app: FastifyInstance): Promise<void>;
  /** /graphql's own headers, on the scope its route is registered in. */
  registerGraphQL(scope: FastifyInstance): void;
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
  const slowClients = new SlowClients(settings.connections, services.logger);
  const admission = new AdmissionControl(settings.admission);
  const trustProxy = settings.trustProxy;
  return {
    fastifyOptions: {
      bodyLimit: settings.bodyLimitBytes,
      return503OnClosing: false,
      // X-Forwarded-For names the client (request.ip, for the failed-authentication limit) only from a trusted proxy.
      trustProxy: typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : typeof trustProxy === 'object' ? [...trustProxy] : trustProxy,
      ...slowClients.fastifyOptions(),
    },
    slowClients,
    admission,
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
      // The checks of every protection below, in this order, as one plugin (src/hardening/checks.ts).
      requestChecksPlugin([
        // Bounded before anything runs: it goes into every audit record of the request (src/audit/operationName.ts).
        operationNameCheck(),
        rateLimitCheck(rateLimiter),
        trustedDocumentsCheck(trustedDocuments, settings.apqCacheSize),
        ...limits.checks,
        subscriptionRefusalCheck(),
        variableErrorsCheck(),
        introspectionCheck({ openToAll: demo }),
      ]),
      // Last: an operation takes its slots once it is known to be valid and within its limits.
      admissionPlugin(admission),
      // The console's explorer (/explorer) is the gateway's IDE; Apollo's landing page loads from a CDN.
      ApolloServerPluginLandingPageDisabled(),
    ],
    async register(app) {
      drain.register(app);
      slowClients.register(app);
      await registerHttpHygiene(app, settings.corsOrigins);
    },
    registerGraphQL: registerGraphQLHeaders,
    beginDrain: () => drain.begin(),
    close: async () => {
      admission.close();
      await rateLimiter.close();
    },
  };
}
