import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import fastifyApollo from '@as-integrations/fastify';
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyServerOptions } from 'fastify';
import { GraphQLError } from 'graphql';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { ApiKeyAuthenticator } from './auth/apiKeys.js';
import { authenticate } from './auth/authenticate.js';
import type { Credentials } from './auth/authenticate.js';
import { AuthFailureLimiter } from './auth/failureLimiter.js';
import { CustomerCache } from './identity/cache.js';
import { systemClock } from './identity/clock.js';
import type { Clock } from './identity/clock.js';
import { IdentityEngine } from './identity/engine.js';
import { erasureFinished } from './erasure/forgetCustomer.js';
import { BackgroundJobs } from './jobs/backgroundJobs.js';
import { jobHandlers } from './jobs/handlers.js';
import { JobWorker } from './jobs/worker.js';
import { SuppressionKeyMismatchError, SuppressionList, suppressionSecret } from './erasure/suppression.js';
import { EventWriter } from './identity/eventWriter.js';
import { KeyedLock } from './identity/keyedLock.js';
import { applyFieldAccess, scopePlan } from './auth/fieldAccess.js';
import { forbiddenStatusPlugin } from './auth/forbiddenStatusPlugin.js';
import { createTokenVerifier } from './auth/tokens.js';
import { ConfigError } from './config.js';
import type { GatewayConfig } from './config.js';
import { createContext } from './context.js';
import type { GatewayContext, GatewayServices } from './context.js';
import { ErrorCode, createErrorFormatter, safeErrorDetail } from './errors.js';
import { APOLLO_PATCH, apolloGatewayContextPatched, keepAcceptDecisions, keepQueryHashes } from './graphql/apolloPatch.js';
import { RUN_FALLBACK, executionOptions } from './graphql/executor.js';
import type { ChosenVariant, SchemaVariant } from './graphql/executor.js';
import { buildBaseSchema } from './graphql/schema.js';
import { stringifyResult } from './graphql/stringifyResult.js';
import { createHardening, loadTrustedDocuments, ShutdownHooks } from './hardening/index.js';
import type { Hardening } from './hardening/index.js';
import { BodyTimeoutError } from './hardening/slowClients.js';
import { createLogger, requestLoggerFactory } from './logger.js';
import { AuditCompletions, AuditLog, AuditWriter, ReadIntents, directAuditSink } from './audit/index.js';
import { classifySchema } from './privacy/classification.js';
import { applyPiiEnforcement } from './privacy/piiTransform.js';
import { privacyPlugin } from './privacy/plugin.js';
import { PlanReleases } from './privacy/releasedByPlan.js';
import type { ReadMarks, ReleasedByPlanStats } from './privacy/releasedByPlan.js';
import { ResponsePlans, walkedFieldsOf, withOwnerTags } from './privacy/responsePlan.js';
import type { WalkedFields } from './privacy/responsePlan.js';
import { decideResponse } from './privacy/responseWalk.js';
import { auditShapeOf } from './privacy/ledger.js';
import { loadPolicy } from './privacy/policy.js';
import { Pseudonyms, pseudonymKey } from './privacy/pseudonym.js';
import { loadTrackingPlan } from './privacy/trackingPlan.js';
import { checkReadiness, checkSourcesAtStart, summarize } from './readiness.js';
import { SegmentCatalog } from './segments/catalog.js';
import { loadSegmentFile } from './segments/definitions.js';
import { SourceKeyHints } from './sourceKeys.js';
import { guardSources, markInProcessGuards, openSources } from './sources.js';
import { EMBEDDED_CHANGE_PARALLELISM, withSegmentChangeFeed } from './segments/changeFeed.js';
import { SegmentWorker } from './segments/worker.js';
import type { Sources } from './sources.js';
import { SourceError } from '../connectors/resilience/sourceError.js';
import { traceIdOfError } from './telemetry/errorTraceIds.js';
import { GatewayMetrics } from './telemetry/metrics.js';
import { telemetryPlugin } from './telemetry/plugin.js';
import { createTelemetry } from './telemetry/tracing.js';
import type { Telemetry } from './telemetry/tracing.js';
import { registerWebPages } from './web/pages.js';
import { MatchModelFileError, loadMatchModel } from './matching/index.js';
import { OnlineMatcher } from './matchSuggestions/onlineMatcher.js';

export interface GatewayDependencies {
  readonly logger?: Logger;
  readonly telemetry?: Telemetry;
  /** Now; tests move it to check time-based segment rules without waiting. */
  readonly clock?: Clock;
  /** Tests only: wraps the opened sources (fault injection around a real adapter). */
  readonly decorateSources?: (sources: Sources) => Sources;
}

export interface Gateway {
  readonly app: FastifyInstance;
  readonly services: GatewayServices;
  readonly schema: GraphQLSchema;
  /** Prometheus metrics (C360_METRICS_PORT); undefined when they are off. */
  readonly metrics: GatewayMetrics | undefined;
  /** How often reads were released by their plan's marks (src/privacy/releasedByPlan.ts); undefined with enforcement off. */
  readonly releasedByPlan: ReleasedByPlanStats | undefined;
  /** Starts listening (and the metrics listener, when on); resolves to the base URL (http://host:port). */
  listen(): Promise<string>;
  /** Stops taking requests, finishes those in flight, then closes the sources. */
  close(): Promise<void>;
}

/** How long a read's audit completion waits for others to share its write (src/audit/writer.ts). */
const COMPLETION_LINGER_MS = 100;

/** The scope that shows /readyz's per-source detail. */
const HEALTH_READ_SCOPE = 'health:read';

/** Request ids from a client are kept only when they are harmless tokens. */
const REQUEST_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * A suppression list written under another key stops the start (exit 78,
 * docs/erasure.md "Rotating the keys"): started anyway, the gateway would
 * accept every erased person's identifiers again. A single view that does not
 * answer (an optional one) is checked before the list is first used instead.
 */
async function verifySuppressionKey(suppressions: SuppressionList, logger: Logger): Promise<void> {
  try {
    await suppressions.verifyKey();
  } catch (error) {
    if (error instanceof SuppressionKeyMismatchError) throw new ConfigError(error.message);
    logger.warn({ err: { type: (error as Error).name } }, 'the suppression list key could not be checked at start; it is checked before the list is first used');
  }
}

/**
 * Assembles the gateway: sources, schema, Apollo Server and the Fastify app
 * with /graphql, /healthz, /readyz and the web pages (/console, /explorer,
 * /assets/*). Nothing listens until `listen()`.
 */
export async function createGateway(config: GatewayConfig, deps: GatewayDependencies = {}): Promise<Gateway> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  // The policy and the tracking plan first: a bad file stops the start before any source opens.
  const policy = loadPolicy(config.policyFile);
  const trackingPlan = loadTrackingPlan(config.trackingPlanFile);
  const pseudonyms = new Pseudonyms(pseudonymKey({ configured: config.pseudonymKey, demo: config.demo.enabled, dataDir: config.dataDir }));
  const telemetry = deps.telemetry ?? createTelemetry();
  const clock = deps.clock ?? systemClock;
  const segments = new SegmentCatalog(loadSegmentFile(config.segmentsFile));
  const trustedDocuments = loadTrustedDocuments(config.hardening.trustedDocumentsFile);
  const metrics = config.metrics ? new GatewayMetrics({ trustedDocuments }) : undefined;
  const opened = await openSources(config, { tracer: telemetry.tracer, logger, segments, clock, observeSourceCall: metrics?.observeSourceCall });
  const sources = deps.decorateSources ? deps.decorateSources(opened) : opened;
  markInProcessGuards(sources);
  // A required source that does not answer stops the start here; an optional one is logged and connects later.
  await checkSourcesAtStart(sources, config, logger).catch(async (error: unknown) => {
    await sources.close();
    throw error;
  });
  // Every port wrapped once by its source's guard: nothing below calls a guard by hand.
  const guarded = guardSources(sources);
  // Every customer write announces segment index changes (src/segments/changeFeed.ts): one hook, under the guarded port.
  // The worker backs off while idle; a change announced here wakes it (src/segments/worker.ts).
  let wakeWorker = () => {};
  const ports = { ...guarded, singleView: withSegmentChangeFeed(guarded.singleView, { segments, clock, onAnnounce: () => wakeWorker() }) };
  const segmentWorker = new SegmentWorker({
    singleView: ports.singleView,
    segments,
    clock,
    logger,
    // The embedded dynalite answers on this process's cores: fewer reconciles at once, so that a round does not queue ahead of requests.
    ...(config.embedded ? { changeParallelism: EMBEDDED_CHANGE_PARALLELISM } : {}),
  });
  wakeWorker = () => segmentWorker.wake();
  const cache = new CustomerCache(config.writeCacheSize);
  // A single view in this process's memory (benchmarks) has no round trip: nothing for records to share
  // (each request's go to it directly, through its guard, without a writer) and no latency for an intent
  // to save (a read writes its one exact record after its sources).
  const inProcess = sources.guards.singleview.answersInProcess;
  const auditWriter = inProcess ? undefined : new AuditWriter(ports.singleView);
  // Reads' records completed after their responses left: a write slot of their own (src/audit/readAudit.ts).
  // Nobody waits for a completion (the intent already covers the response): they linger to share their
  // writes, which at low load would otherwise be one BatchWriteItem per read, landing on the audit store
  // beside the next read's calls.
  const completionWriter = inProcess ? undefined : new AuditWriter(ports.singleView, { lingerMs: COMPLETION_LINGER_MS });
  const completions =
    completionWriter &&
    new AuditCompletions(metrics ? metrics.auditSink(completionWriter, 'completion') : completionWriter, ports.singleView, (error, records) =>
      logger.warn({ err: safeErrorDetail(error), records }, 'audit completion not written; the read\'s intent record stands for it'),
    );
  const auditSink = auditWriter ?? directAuditSink(ports.singleView);
  const audit = new AuditLog(metrics ? metrics.auditSink(auditSink) : auditSink, clock, completions);
  const sourceKeyHints = new SourceKeyHints();
  const suppressions = new SuppressionList(ports.singleView, suppressionSecret(config.suppressionKey, pseudonyms));
  await verifySuppressionKey(suppressions, logger).catch(async (error: unknown) => {
    await sources.close();
    throw error;
  });
  const matcher = onlineMatcher(config, logger);
  // What merges, unmerges and erasures leave to do runs here (or in `npm run jobs` with C360_JOBS_WORKER=false).
  const jobWorker = new JobWorker(ports.singleView, jobHandlers(ports.singleView, { 'erase-history': erasureFinished(ports.singleView, clock) }), { logger, clock });
  const jobs = new BackgroundJobs(ports.singleView, jobWorker, clock);
  const services: GatewayServices = {
    config,
    sources,
    ports,
    segments,
    segmentWorker,
    logger,
    clock,
    tracer: telemetry.tracer,
    identity: new IdentityEngine({
      singleView: ports.singleView,
      policy: config.identity,
      loginType: config.tokens.customerIdentity,
      segments,
      clock,
      cache,
      locks: new KeyedLock(),
      events: new EventWriter(ports.singleView),
      suppressions,
      logger,
      audit,
      customerWrites: matcher,
      jobs,
    }),
    erasure: { ports, clock, cache, sourceKeyHints, suppressions, logger, audit, jobs },
    shutdown: new ShutdownHooks(),
    policy,
    pseudonyms,
    trackingPlan,
    audit,
    sourceKeyHints,
    authenticator: {
      apiKeys: new ApiKeyAuthenticator(ports.apiKeys, {
        cacheMs: config.apiKeyCacheMs,
        allowDemoKeys: config.demo.enabled,
        cacheSize: config.keyLookups.cacheSize,
        negativeCacheMs: config.keyLookups.negativeCacheMs,
      }),
      tokens: createTokenVerifier({ ...config.tokens, phoneRegion: config.phoneDefaultRegion, pseudonyms }),
      failures: new AuthFailureLimiter(config.hardening.authFailuresPerMinute),
    },
  };
  // Responses wait for their own records; this only catches writes still on the wire at shutdown.
  services.shutdown.register('audit', async () => {
    await completions?.flush();
    await Promise.all([auditWriter?.flush(), completionWriter?.flush()]);
  });
  // Open jobs resume at start (a crashed instance's once their lease runs out); the page under way finishes at shutdown.
  if (config.jobsWorker) jobWorker.start();
  services.shutdown.register('background jobs', () => jobWorker.stop());
  // The candidate index fills in the background from the first identify on; a scan under way stops at shutdown.
  if (matcher) services.shutdown.register('online matching', () => matcher.stop());
  if (config.segmentsWorkerMs > 0) {
    segmentWorker.start(config.segmentsWorkerMs);
    services.shutdown.register('segments worker', () => segmentWorker.stop());
  }
  const hardening = createHardening(services, trustedDocuments);
  metrics?.watch(sources, hardening.slowClients);
  const enforcement = privacyEnforcement(config, services);
  const { schema, variant, releasedByPlan } = executableSchemas(enforcement);
  if (!apolloGatewayContextPatched()) {
    logger.warn(
      { patch: APOLLO_PATCH },
      'Apollo Server is installed without the patch in patches/: every request costs more garbage collection, hashes its query and parses its Accept header again. Install with npm install or npm ci, which apply it (not with --ignore-scripts).',
    );
  }
  keepQueryHashes();
  keepAcceptDecisions();
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's own request log line carries the URL, and a GET query string can hold variables.
    logController: new LogController({ disableRequestLogging: true }),
    // Each request's logger is made on its first line: most requests log none.
    childLoggerFactory: requestLoggerFactory as unknown as NonNullable<FastifyServerOptions['childLoggerFactory']>,
    genReqId: (request) => {
      const offered = request.headers['x-request-id'];
      return typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
    },
    forceCloseConnections: 'idle',
    ...hardening.fastifyOptions,
  });
  const apollo = new ApolloServer<GatewayContext>({
    // graphql-jit compiled operations, or graphql-js with C360_EXECUTOR=stock (src/graphql/executor.ts).
    ...executionOptions(schema, config.executor, variant),
    // docs/security.md: limits, CSRF prevention, batching off, introspection, suggestions, persisted queries.
    ...hardening.apolloOptions,
    plugins: [
      // No per-field hooks: each wraps every resolver call (bench/README.md measures the cost).
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      telemetryPlugin(),
      ...hardening.plugins,
      forbiddenStatusPlugin(),
      ...enforcement.plugins,
      ...(metrics ? [metrics.plugin()] : []),
    ],
    formatError: createErrorFormatter({
      traceIdOf: traceIdOfError,
      onInternalError: (error, traceId) => logger.error({ err: safeErrorDetail(error), traceId }, 'unexpected error in a request'),
    }),
    includeStacktraceInErrorResponses: false,
    stringifyResult,
    // src/main.ts owns SIGTERM: drain HTTP first, then stop Apollo, then the sources.
    stopOnTerminationSignals: false,
  });
  await apollo.start();
  await hardening.register(app);
  metrics?.register(app);
  registerRoutes(app, services, hardening);
  await registerWebPages(app, { demo: config.demo.enabled });
  // A scope of its own, so that /graphql's hooks run for its requests only.
  await app.register(async (graphql) => {
    hardening.registerGraphQL(graphql);
    await graphql.register(fastifyApollo(apollo), {
      path: '/graphql',
      context: (request) => {
        const context = createContext(services, { headers: request.headers, clientAddress: request.ip }, String(request.id));
        return metrics ? metrics.trackContext(request, context) : context;
      },
    });
  });
  // app.close() is the drain: it stops accepting, waits for requests in flight
  // and closes idle keep-alive connections; then the onClose hook runs.
  app.addHook('onClose', async () => {
    await services.shutdown.run(logger);
    await apollo.stop();
    await hardening.close();
    await sources.close();
    await telemetry.shutdown();
    // Last: a scrape during the drain still sees the gateway.
    await metrics?.close();
  });

  return {
    app,
    services,
    schema,
    metrics,
    releasedByPlan,
    async listen() {
      await app.listen({ host: config.host, port: config.port });
      const { address, port } = app.server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      if (metrics && config.metrics) {
        const metricsUrl = await metrics.listen(config.metrics.host, config.metrics.port).catch(async (error: unknown) => {
          await app.close();
          throw error;
        });
        logger.info({ url: `${metricsUrl}/metrics` }, 'c360 metrics listening');
      }
      logger.info({ url: `http://${host}:${port}`, adapters: sources.adapters }, 'c360 gateway listening');
      return `http://${host}:${port}`;
    },
    close: async () => {
      // While draining, new requests get 503 and every response closes its
      // connection: a keep-alive client would otherwise hold the server open.
      // The listener stays open for C360_SHUTDOWN_DELAY_MS first, so a load
      // balancer sees /readyz fail and stops sending before connections are refused.
      hardening.beginDrain();
      if (config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      await app.close();
    },
  };
}

/** Online scoring with the configured model, or none (C360_MATCH_ONLINE=false). A model file that cannot be used stops the start. */
function onlineMatcher(config: GatewayConfig, logger: Logger): OnlineMatcher | undefined {
  if (!config.matching.online) return undefined;
  let compiled;
  try {
    compiled = loadMatchModel(config.matching.modelFile);
  } catch (error) {
    if (error instanceof MatchModelFileError) throw new ConfigError(`C360_MATCH_MODEL_FILE: ${error.message}`);
    throw error;
  }
  return new OnlineMatcher(
    { compiled, defaultRegion: config.phoneDefaultRegion, blocklist: config.identity.blocked, autoMerge: config.matching.autoMerge, capacity: config.matching.indexLimit },
    logger,
  );
}

/**
 * The schemas an operation can run on, and which one it runs on: chosen once
 * per document and kind of caller, kept in the operation plans' LRUs.
 * Scopes are outermost: a field the principal may not use is FORBIDDEN
 * before any privacy decision; an operation with no field the caller may be
 * refused runs on the same schema without the per-field scope checks
 * (scopePlan). Personal values are decided by the response walk over the
 * plan of their document (src/privacy/responsePlan.ts, responseWalk.ts),
 * on a schema whose value resolvers are left as they are and whose objects
 * carry their owner tag; an operation the walk cannot plan (introspection)
 * runs on the schema whose every personal field decides itself. `schema` is
 * the API schema Apollo Server validates and introspects against.
 */
function executableSchemas(enforcement: ReturnType<typeof privacyEnforcement>): { schema: GraphQLSchema; variant: SchemaVariant; releasedByPlan?: ReleasedByPlanStats } {
  const base = buildBaseSchema();
  const enforced = enforcement.transform(base);
  const schema = applyFieldAccess(enforced);
  const scopes = scopePlan(schema, enforced);
  if (!enforcement.classified) return { schema, variant: scopes };
  const classification = enforcement.classified(base);
  const walked = walkedFieldsOf(classification);
  const lean = enforcement.transform(base, walked);
  const tagged = {
    checked: { key: 'walked:checked', schema: withOwnerTags(applyFieldAccess(lean), walked) },
    unchecked: { key: 'walked:unchecked', schema: withOwnerTags(lean, walked) },
  };
  const plans = new ResponsePlans(schema, walked);
  // Released by its plan: no privacy wrapper at all, the owner tag on the customer alone (src/privacy/releasedByPlan.ts).
  const released = {
    checked: { key: 'released:checked', schema: withOwnerTags(applyFieldAccess(base), walked) },
    unchecked: { key: 'released:unchecked', schema: withOwnerTags(base, walked) },
  };
  const releases = new PlanReleases(schema, classification);
  const variant: SchemaVariant = (request) => {
    const scoped = scopes(request);
    const plan = plans.planFor(request.document, request.queryHash, request.operationName);
    if (plan.kind === 'fallback' || !plan.walk) return scoped;
    const walk = plan.walk;
    const { privacy } = request.context as GatewayContext;
    privacy.walkPending = true;
    privacy.useShape(auditShapeOf(walk));
    const { key, schema: run } = scoped.key === 'unchecked' ? tagged.unchecked : tagged.checked;
    const decided: ChosenVariant = { key, schema: run, document: plan.document, finish: (result) => decideResponse(result, walk, privacy) };
    const byPlan = releases.planFor(request.document, request.queryHash, request.operationName);
    if (!byPlan || !privacy.releasesAsIs(byPlan.classes)) return decided;
    const shapes = releases.shapes.of(byPlan, privacy.purpose);
    if (!shapes.worthTrying()) return decided;
    const read: { marks?: ReadMarks } = {};
    const bare = scoped.key === 'unchecked' ? released.unchecked : released.checked;
    return {
      ...bare,
      document: byPlan.document,
      finish: (result) => (shapes.release(result, byPlan, privacy, read) ? result : RUN_FALLBACK),
      // A shape not kept yet, or an answer with an error: decided value by value, and its list kept for the shape.
      fallback: {
        ...decided,
        finish: async (result) => {
          const answer = await decideResponse(result, walk, privacy);
          shapes.keep(read.marks, answer, privacy);
          return answer;
        },
      },
    };
  };
  return { schema, variant, releasedByPlan: releases.shapes.stats };
}

/**
 * The @pii transform and the audit plugin, or, in benchmark mode with
 * C360_PRIVACY_ENFORCEMENT=off, neither (config refuses `off` otherwise);
 * writes are audited either way.
 */
function privacyEnforcement(config: GatewayConfig, services: GatewayServices) {
  if (!config.privacyEnforcement) {
    services.logger.error(
      { setting: 'C360_PRIVACY_ENFORCEMENT=off', benchmarkMode: true },
      'PRIVACY ENFORCEMENT IS OFF: personal fields are released without policy, consent or audit. Benchmarks only.',
    );
    // The classification is still checked: a field must say what it is whether or not it is enforced.
    return { transform: (schema: GraphQLSchema, _walked?: WalkedFields) => (classifySchema(schema), schema), plugins: [], classified: undefined };
  }
  return {
    transform: (schema: GraphQLSchema, walked?: WalkedFields) =>
      applyPiiEnforcement(schema, { phoneRegion: config.phoneDefaultRegion, trackingPlan: services.trackingPlan, ...(walked ? { walked } : {}) }),
    plugins: [privacyPlugin(new ReadIntents(services.policy))],
    classified: classifySchema,
  };
}

function registerRoutes(app: FastifyInstance, services: GatewayServices, hardening: Hardening): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    let detailed: boolean;
    try {
      detailed = await mayReadHealthDetail(services, { headers: request.headers, clientAddress: request.ip });
    } catch (error) {
      if (!(error instanceof GraphQLError)) throw error;
      const http = error.extensions.http as { status?: number; headers?: Map<string, string> } | undefined;
      for (const [name, value] of http?.headers ?? []) reply.header(name, value);
      const { http: _http, ...extensions } = error.extensions;
      return reply.code(http?.status ?? 401).send({ errors: [{ message: error.message, extensions }] });
    }
    const readiness = await checkReadiness(services.sources, services.config);
    const status = readiness.status === 'ready' ? 200 : 503;
    if (!detailed) return reply.code(status).send(summarize(readiness));
    return reply.code(status).send({
      ...readiness,
      keyLookups: { circuit: services.sources.keyLookups.circuit },
      slowClients: { ...hardening.slowClients.cut },
      admission: hardening.admission.state(),
    });
  });
  // The line is logged at info: at a level above it (warn, the benchmarks'), the hook would build it for nothing on every request.
  if (services.logger.isLevelEnabled('info')) {
    app.addHook('onResponse', (request, reply, done) => {
      // The route pattern, never the URL: a GET query string can hold variables.
      request.log.info(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        'request completed',
      );
      done();
    });
  }
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error instanceof BodyTimeoutError) {
      // Counted by SlowClients; the client gets its answer and the connection closes.
      return reply.code(408).header('connection', 'close').send({ errors: [{ message: error.message, extensions: { code: 'BAD_REQUEST' } }] });
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: safeErrorDetail(error) }, 'unexpected error outside GraphQL');
    const message = status === 500 ? 'Internal server error' : requestErrorMessage(error);
    const code = status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    return reply.code(status).send({ errors: [{ message, extensions: { code } }] });
  });
}

/**
 * /readyz says only ready or not (and which sources are down) to anyone, a
 * load balancer included; the per-source detail (adapters, circuits,
 * latencies, errors) only to a principal holding health:read. Credentials
 * are checked like on /graphql: a bad one is 401, and counts against the
 * address. A key the single view cannot check right now gets the short
 * answer: readiness has to answer when sources are down.
 */
async function mayReadHealthDetail(services: GatewayServices, credentials: Credentials): Promise<boolean> {
  const { headers } = credentials;
  if (headers['x-api-key'] === undefined && headers.authorization === undefined) return false;
  try {
    const principal = await authenticate(credentials, services.authenticator);
    return principal.scopes.has(HEALTH_READ_SCOPE);
  } catch (error) {
    const code = error instanceof GraphQLError ? error.extensions.code : undefined;
    if (error instanceof SourceError || code === ErrorCode.SOURCE_UNAVAILABLE || code === ErrorCode.SOURCE_TIMEOUT) return false;
    throw error;
  }
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
