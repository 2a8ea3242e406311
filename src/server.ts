import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo from '@as-integrations/fastify';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { SingleViewPort } from '../connectors/singleview/port.js';
import type { Logger } from 'pino';
import { ApiKeyAuthenticator } from './auth/apiKeys.js';
import { applyFieldAccess } from './auth/fieldAccess.js';
import { forbiddenStatusPlugin } from './auth/forbiddenStatusPlugin.js';
import { createTokenVerifier } from './auth/tokens.js';
import type { GatewayConfig } from './config.js';
import { createContext } from './context.js';
import type { GatewayContext, GatewayServices } from './context.js';
import { createErrorFormatter, safeErrorDetail } from './errors.js';
import { buildBaseSchema } from './graphql/schema.js';
import { createLogger } from './logger.js';
import { AuditWriter } from './privacy/auditWriter.js';
import { applyPiiEnforcement } from './privacy/piiTransform.js';
import { privacyPlugin } from './privacy/plugin.js';
import { loadPolicy } from './privacy/policy.js';
import { checkReadiness } from './readiness.js';
import { SegmentCatalog } from './segments/catalog.js';
import { loadSegmentFile } from './segments/definitions.js';
import { openSources } from './sources.js';
import type { Sources } from './sources.js';
import { telemetryPlugin } from './telemetry/plugin.js';
import { createTelemetry } from './telemetry/tracing.js';
import type { Telemetry } from './telemetry/tracing.js';

export interface GatewayDependencies {
  readonly logger?: Logger;
  readonly telemetry?: Telemetry;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly services: GatewayServices;
  readonly schema: GraphQLSchema;
  /** Starts listening; resolves to the base URL (http://host:port). */
  listen(): Promise<string>;
  /** Stops taking requests, finishes those in flight, then closes the sources. */
  close(): Promise<void>;
}

/** Request ids from a client are kept only when they are harmless tokens. */
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Assembles the gateway: sources, schema, Apollo Server and the Fastify app
 * with /graphql, /healthz and /readyz. Nothing listens until `listen()`.
 */
export async function createGateway(config: GatewayConfig, deps: GatewayDependencies = {}): Promise<Gateway> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  // The policy first: a bad file stops the start before any source opens.
  const policy = loadPolicy(config.policyFile);
  const telemetry = deps.telemetry ?? createTelemetry();
  const segments = new SegmentCatalog(loadSegmentFile());
  const sources = await openSources(config, { tracer: telemetry.tracer, logger });
  const services: GatewayServices = {
    config,
    sources,
    segments,
    logger,
    tracer: telemetry.tracer,
    policy,
    authenticator: {
      apiKeys: new ApiKeyAuthenticator(guardedKeyStore(sources), { cacheMs: config.apiKeyCacheMs, allowDemoKeys: config.demo.enabled }),
      tokens: createTokenVerifier(config.tokens),
    },
  };
  const enforcement = privacyEnforcement(config, services);
  const schema = enforcement.transform(applyFieldAccess(buildBaseSchema()));
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's own request log line carries the URL, and a GET query string can hold variables.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: (request) => {
      const offered = request.headers['x-request-id'];
      return typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
    },
    forceCloseConnections: 'idle',
  });
  const apollo = new ApolloServer<GatewayContext>({
    schema,
    plugins: [
      ApolloServerPluginCacheControlDisabled(),
      telemetryPlugin(),
      forbiddenStatusPlugin(),
      ...enforcement.plugins,
    ],
    formatError: createErrorFormatter({
      traceIdOf: () => undefined,
      onInternalError: (error) => logger.error({ err: safeErrorDetail(error) }, 'unexpected error in a request'),
    }),
    includeStacktraceInErrorResponses: false,
    csrfPrevention: true,
    introspection: true,
  });
  await apollo.start();
  registerRoutes(app, services);
  await app.register(fastifyApollo(apollo), {
    path: '/graphql',
    context: (request) => createContext(services, request.headers, String(request.id)),
  });
  // app.close() is the drain: it stops accepting, waits for requests in flight
  // and closes idle keep-alive connections; then the onClose hook runs.
  app.addHook('onClose', async () => {
    await apollo.stop();
    await sources.close();
    await telemetry.shutdown();
  });

  return {
    app,
    services,
    schema,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const { address, port } = app.server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      logger.info({ url: `http://${host}:${port}`, adapters: sources.adapters }, 'c360 gateway listening');
      return `http://${host}:${port}`;
    },
    close: () => app.close(),
  };
}

/**
 * Key lookups go through the single view's guard like every other read: a
 * dropped connection is retried, and a store that is down is a
 * SOURCE_UNAVAILABLE answer rather than an internal error.
 */
function guardedKeyStore(sources: Sources): Pick<SingleViewPort, 'getApiKey'> {
  return {
    getApiKey: (keyId) =>
      sources.guards.singleview.run({ operation: 'getApiKey', batchSize: 1, idempotent: true }, () => sources.singleView.getApiKey(keyId)),
  };
}

/**
 * The @pii transform and the audit plugin, or, in benchmark mode with
 * C360_PRIVACY_ENFORCEMENT=off, neither (config refuses `off` otherwise).
 */
function privacyEnforcement(config: GatewayConfig, services: GatewayServices) {
  if (!config.privacyEnforcement) {
    services.logger.error(
      { setting: 'C360_PRIVACY_ENFORCEMENT=off', benchmarkMode: true },
      'PRIVACY ENFORCEMENT IS OFF: personal fields are released without policy, consent or audit. Benchmarks only.',
    );
    return { transform: (schema: GraphQLSchema) => schema, plugins: [] };
  }
  const auditWriter = new AuditWriter(services.sources.singleView, services.sources.guards.singleview);
  return {
    transform: (schema: GraphQLSchema) => applyPiiEnforcement(schema, { phoneRegion: config.phoneDefaultRegion }),
    plugins: [privacyPlugin(auditWriter)],
  };
}

function registerRoutes(app: FastifyInstance, services: GatewayServices): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const readiness = await checkReadiness(services.sources, services.config);
    return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness);
  });
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, never the URL: a GET query string can hold variables.
    request.log.info(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request completed',
    );
  });
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: safeErrorDetail(error) }, 'unexpected error outside GraphQL');
    const message = status === 500 ? 'Internal server error' : requestErrorMessage(error);
    const code = status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    return reply.code(status).send({ errors: [{ message, extensions: { code } }] });
  });
}

/** Fastify's own messages for malformed bodies, rewritten to say what to fix. */
function requestErrorMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'The request body is not valid JSON; send {"query": "...", "variables": {...}}.';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Unsupported content type; send application/json.';
    default:
      return 'Malformed request.';
  }
}
