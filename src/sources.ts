import { join } from 'node:path';
import type { Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { createCrm } from '../connectors/crm/index.js';
import { CRM_CALLS } from '../connectors/crm/port.js';
import type { CrmPort } from '../connectors/crm/port.js';
import { createLoyalty } from '../connectors/loyalty/index.js';
import { LOYALTY_CALLS } from '../connectors/loyalty/port.js';
import type { LoyaltyPort } from '../connectors/loyalty/port.js';
import { createResolution } from '../connectors/resolution/index.js';
import type { ResolutionSettings } from '../connectors/resolution/index.js';
import { RESOLUTION_CALLS } from '../connectors/resolution/port.js';
import type { ResolutionPort } from '../connectors/resolution/port.js';
import { guardPort } from '../connectors/resilience/guardedPort.js';
import { SourceGuard, isInProcessAdapter } from '../connectors/resilience/sourceGuard.js';
import type { SourceCallObserver } from '../connectors/resilience/sourceGuard.js';
import { createSingleView } from '../connectors/singleview/index.js';
import { MemorySingleView } from '../connectors/singleview/memory.js';
import { API_KEY_LOOKUP_CALLS, SINGLE_VIEW_CALLS } from '../connectors/singleview/port.js';
import type { ApiKeyPort, SingleViewPort } from '../connectors/singleview/port.js';
import { installDemoKeys } from './auth/apiKeys.js';
import type { GatewayConfig, SourceName } from './config.js';
import { generateDemoData } from './embedded/demoData.js';
import type { DemoData } from './embedded/demoData.js';
import { startEmbeddedDynamo } from './embedded/dynalite.js';
import type { EmbeddedDynamo } from './embedded/dynalite.js';
import { DEMO_DATA_VERSION, seedSingleView } from './embedded/seed.js';
import { systemClock } from './identity/clock.js';
import type { Clock } from './identity/clock.js';
import type { SegmentCatalog } from './segments/catalog.js';
import type { SegmentSpec } from './segments/definitions.js';
import { SourceStartError } from './sourceStart.js';

/**
 * The four sources behind the gateway as opened: their adapters, and each
 * source's guard (timeout, retry, breaker, span). The gateway calls them
 * only through guardSources' guarded ports; health checks and
 * administration use the adapters directly.
 */
export interface Sources {
  readonly singleView: SingleViewPort;
  readonly crm: CrmPort;
  readonly loyalty: LoyaltyPort;
  readonly resolution: ResolutionPort;
  readonly guards: Readonly<Record<SourceName, SourceGuard>>;
  /**
   * API key lookups in the single view: its deadline, but their own
   * concurrency budget and breaker, apart from customer reads (docs/security.md, "Floods").
   */
  readonly keyLookups: SourceGuard;
  /** Which adapter serves each source, for readiness and logs. */
  readonly adapters: Readonly<Record<SourceName, string>>;
  close(): Promise<void>;
}

export interface SourceDependencies {
  readonly tracer: Tracer;
  readonly logger: Logger;
  /** The segment definitions the demo data's memberships are evaluated against. */
  readonly segments: SegmentCatalog;
  /** The gateway's clock: the demo data's segment index is built at its time. */
  readonly clock?: Clock | undefined;
  /** Told of every source call (the gateway's metrics, when C360_METRICS_PORT is set). */
  readonly observeSourceCall?: SourceCallObserver | undefined;
}

/**
 * Opens every source the configuration names. With no source configured this
 * is the embedded default: dynalite in process, the embedded resolution
 * engine, and CRM and loyalty stores seeded with the demo data set.
 */
export async function openSources(config: GatewayConfig, deps: SourceDependencies): Promise<Sources> {
  if (config.memorySources) return openMemorySources(config, deps);
  const { logger } = deps;
  const opened: Array<{ close(): Promise<void> }> = [];
  let demoData: DemoData | undefined;
  const demo = () => (demoData ??= generateDemoData({ ...config.demo, segments: deps.segments.all() }));
  const dataFile = (name: string) => (config.dataDir ? join(config.dataDir, name) : undefined);
  const opening = <T>(source: SourceName, open: () => Promise<T>) => openingSource(source, open, config);
  try {
    let embeddedDynamo: EmbeddedDynamo | undefined;
    if (config.embedded) {
      embeddedDynamo = await startEmbeddedDynamo(config.dataDir, {
        // Every single view call fails from here on, and readiness says so; this says why.
        onFailure: (error) => logger.fatal({ err: error.message }, 'embedded dynalite stopped'),
      });
      opened.push(embeddedDynamo);
      logger.info({ dataDir: config.dataDir ?? 'memory', endpoint: embeddedDynamo.endpoint }, 'embedded dynalite started');
    }
    const singleView = await opening('singleview', () =>
      createSingleView({
        endpoint: embeddedDynamo?.endpoint ?? config.dynamodb.endpoint,
        region: config.dynamodb.region,
        tablePrefix: config.dynamodb.tablePrefix,
        credentials: config.dynamodb.localCredentials ? { accessKeyId: 'c360-local', secretAccessKey: 'c360-local' } : undefined,
        retention: config.dynamodb.retention,
        // The embedded dynalite starts empty: its tables are always created.
        createTables: embeddedDynamo !== undefined || config.dynamodb.createTables,
        // Its own dynalite on loopback, which never verifies a signature: none is computed.
        unsigned: embeddedDynamo !== undefined,
        // Ends a call the guard's deadline gave up on; generous, because start-up's bulk load and key administration share the client unguarded.
        requestTimeoutMs: Math.max(2_000, 4 * config.sources.singleview.timeoutMs),
      }),
    );
    opened.unshift(singleView);
    if (config.demo.enabled) {
      const started = Date.now();
      const outcome = await seedSingleView(singleView, demo(), demoIndex(deps));
      await installDemoKeys(singleView);
      if (outcome.seeded) logger.info({ customers: outcome.customers, ms: Date.now() - started }, 'demo data loaded into the single view');
      if (outcome.staleVersion !== undefined) {
        logger.warn({ found: outcome.staleVersion, current: DEMO_DATA_VERSION }, 'the data dir holds an older demo data set; delete it for the current one');
      }
    }
    const crm = await opening('crm', () =>
      createCrm(
        config.mongodb
          ? { adapter: 'mongodb', ...config.mongodb }
          : { adapter: 'embedded', file: dataFile('crm.json'), seed: () => (config.demo.enabled ? demo().crm : []) },
      ),
    );
    opened.unshift(crm);
    const loyalty = await opening('loyalty', () =>
      createLoyalty(
        config.loyaltyUrl
          ? { adapter: 'http', url: config.loyaltyUrl, ...config.loyaltyCredentials }
          : { adapter: 'embedded', file: dataFile('loyalty.json'), seed: () => (config.demo.enabled ? demo().loyalty : []) },
      ),
    );
    opened.unshift(loyalty);
    const resolution = await opening('resolution', async () => createResolution(resolutionSettings(config, singleView)));
    opened.unshift(resolution);
    return {
      singleView,
      crm,
      loyalty,
      resolution,
      ...guardsOf(config, deps),
      adapters: {
        singleview: embeddedDynamo ? 'dynamodb (embedded dynalite)' : 'dynamodb',
        crm: config.mongodb ? 'mongodb' : 'embedded',
        loyalty: config.loyaltyUrl ? 'http' : 'embedded',
        resolution: config.resolution.adapter,
      },
      close: () => closeAll(opened, logger),
    };
  } catch (error) {
    await closeAll(opened, logger);
    throw error;
  }
}

/**
 * Opening a source (not reaching it: adapters connect on first use) fails only
 * on settings the adapter refuses, e.g. a connection string the driver
 * cannot parse. The message names the source and its variable, never the
 * value, which may hold credentials.
 */
async function openingSource<T>(source: SourceName, open: () => Promise<T>, config: GatewayConfig): Promise<T> {
  try {
    return await open();
  } catch (error) {
    throw SourceStartError.cannotOpen(source, error, config);
  }
}

function resolutionSettings(config: GatewayConfig, singleView: SingleViewPort): ResolutionSettings {
  const settings = config.resolution;
  switch (settings.adapter) {
    case 'embedded':
      return { adapter: 'embedded', singleView };
    case 'http':
      return { adapter: 'http', url: settings.url, ...settings.credentials, singleView };
    case 'aws-entity-resolution':
      return {
        ...settings,
        singleView,
        credentials: settings.localCredentials ? { accessKeyId: 'c360-local', secretAccessKey: 'c360-local' } : undefined,
      };
  }
}

/**
 * Benchmark only (C360_SOURCES=memory): every source answered from process
 * memory over the demo data, behind the same ports and guards, so a
 * measurement shows the gateway's own cost without dynalite's.
 */
async function openMemorySources(config: GatewayConfig, deps: SourceDependencies): Promise<Sources> {
  const demo = config.demo.enabled ? generateDemoData({ ...config.demo, segments: deps.segments.all() }) : undefined;
  const singleView = new MemorySingleView();
  if (demo) {
    await seedSingleView(singleView, demo, demoIndex(deps));
    await installDemoKeys(singleView);
  }
  const crm = await createCrm({ adapter: 'embedded', file: undefined, seed: () => demo?.crm ?? [] });
  const loyalty = await createLoyalty({ adapter: 'embedded', file: undefined, seed: () => demo?.loyalty ?? [] });
  const resolution = createResolution({ adapter: 'embedded', singleView });
  deps.logger.warn('benchmark mode: every source is served from memory');
  const adapter = 'memory (benchmark)';
  return {
    singleView,
    crm,
    loyalty,
    resolution,
    ...guardsOf(config, deps),
    adapters: { singleview: adapter, crm: adapter, loyalty: adapter, resolution: adapter },
    close: () => closeAll([resolution, loyalty, crm, singleView], deps.logger),
  };
}

/** The segment definitions and the time the demo data's index is built for: the gateway's clock, or the system's. */
function demoIndex(deps: SourceDependencies): { segments: readonly SegmentSpec[]; now: Date } {
  return { segments: deps.segments.all(), now: (deps.clock ?? systemClock)() };
}

function guardsOf(config: GatewayConfig, deps: SourceDependencies): Pick<Sources, 'guards' | 'keyLookups'> {
  return { guards: sourceGuards(config, deps), keyLookups: keyLookupGuard(config, deps) };
}

/**
 * Guards of sources whose wired adapter answers from process memory skip
 * the remote policy (SourceGuard.markInProcess): the embedded CRM and
 * loyalty stores, and with C360_SOURCES=memory every source. Decided on the
 * adapters actually wired, after any wrapping.
 */
export function markInProcessGuards(sources: Sources): void {
  const adapters: Record<SourceName, unknown> = { singleview: sources.singleView, crm: sources.crm, loyalty: sources.loyalty, resolution: sources.resolution };
  for (const [source, adapter] of Object.entries(adapters) as Array<[SourceName, unknown]>) {
    if (isInProcessAdapter(adapter)) sources.guards[source].markInProcess();
  }
  if (isInProcessAdapter(sources.singleView)) sources.keyLookups.markInProcess();
}

function sourceGuards(config: GatewayConfig, deps: SourceDependencies): Record<SourceName, SourceGuard> {
  const guard = (source: SourceName) =>
    new SourceGuard({
      source,
      ...config.sources[source],
      tracer: deps.tracer,
      observer: deps.observeSourceCall,
      onCircuitChange: (state) => deps.logger.warn({ source, circuit: state }, 'circuit breaker changed state'),
    });
  return { singleview: guard('singleview'), crm: guard('crm'), loyalty: guard('loyalty'), resolution: guard('resolution') };
}

function keyLookupGuard(config: GatewayConfig, deps: SourceDependencies): SourceGuard {
  return new SourceGuard({
    source: 'singleview',
    ...config.sources.singleview,
    concurrency: config.keyLookups.concurrency,
    queue: config.keyLookups.queue,
    tracer: deps.tracer,
    observer: deps.observeSourceCall,
    onCircuitChange: (state) => deps.logger.warn({ source: 'singleview', guard: 'keyLookups', circuit: state }, 'circuit breaker changed state'),
  });
}

/**
 * The sources as the gateway calls them: each port wrapped once, here, by
 * its source's guard and the port's plan (its GuardPlan beside the port's
 * interface: which methods are reads, retried within the deadline, and which
 * writes, attempted once). Callers pass the request's span in the call
 * options and never call a guard by hand.
 */
export interface GuardedPorts {
  readonly singleView: SingleViewPort;
  readonly crm: CrmPort;
  readonly loyalty: LoyaltyPort;
  readonly resolution: ResolutionPort;
  /** API key lookups under the key lookup guard. */
  readonly apiKeys: Pick<ApiKeyPort, 'getApiKey'>;
}

export function guardSources(sources: Sources): GuardedPorts {
  return {
    singleView: guardPort(sources.singleView, sources.guards.singleview, SINGLE_VIEW_CALLS),
    crm: guardPort(sources.crm, sources.guards.crm, CRM_CALLS),
    loyalty: guardPort(sources.loyalty, sources.guards.loyalty, LOYALTY_CALLS),
    resolution: guardPort(sources.resolution, sources.guards.resolution, RESOLUTION_CALLS),
    apiKeys: guardPort<Pick<ApiKeyPort, 'getApiKey'>>(sources.singleView, sources.keyLookups, API_KEY_LOOKUP_CALLS),
  };
}

/** Closes in reverse order of opening (dynalite last); one failure does not stop the rest. */
async function closeAll(opened: ReadonlyArray<{ close(): Promise<void> }>, logger: Logger): Promise<void> {
  for (const resource of opened) {
    try {
      await resource.close();
    } catch (error) {
      logger.warn({ err: { type: (error as Error).name } }, 'a source did not close cleanly');
    }
  }
}
