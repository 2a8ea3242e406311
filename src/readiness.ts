import { SourceError } from '../connectors/resilience/sourceError.js';
import type { Logger } from 'pino';
import type { GatewayConfig, SourceName } from './config.js';
import { SourceStartError, sourceVariable } from './sourceStart.js';
import type { Sources } from './sources.js';

export interface SourceStatus {
  readonly status: 'up' | 'down';
  readonly required: boolean;
  readonly adapter: string;
  readonly circuit: string;
  readonly latencyMs: number;
  readonly error?: string;
}

export interface Readiness {
  readonly status: 'ready' | 'unavailable';
  readonly sources: Record<SourceName, SourceStatus>;
}

/** What /readyz tells a caller without the health:read scope: ready or not, and which sources are down. */
export interface ReadinessSummary {
  readonly status: Readiness['status'];
  readonly down: readonly SourceName[];
}

export function summarize(readiness: Readiness): ReadinessSummary {
  return { status: readiness.status, down: SOURCE_NAMES.filter((name) => readiness.sources[name].status === 'down') };
}

const CIRCUIT_OPEN = 'calls are shed: the circuit is open after recent failures';

const SOURCE_NAMES: readonly SourceName[] = ['singleview', 'crm', 'loyalty', 'resolution'];

/**
 * Asks every source for its health at once, each with a deadline. Ready when
 * every required source answers; an optional source that is down degrades
 * answers (partial data) without taking the gateway out of rotation. A
 * source whose circuit is open is down whatever its health check says: the
 * gateway is not calling it, so status and circuit never disagree.
 */
export async function checkReadiness(sources: Sources, config: GatewayConfig): Promise<Readiness> {
  const ports = { singleview: sources.singleView, crm: sources.crm, loyalty: sources.loyalty, resolution: sources.resolution };
  const checks = await Promise.all(
    SOURCE_NAMES.map(async (name): Promise<[SourceName, SourceStatus]> => {
      const started = performance.now();
      const base = { required: config.requiredSources.includes(name), adapter: sources.adapters[name], circuit: sources.guards[name].circuit };
      try {
        await ports[name].health({ signal: AbortSignal.timeout(config.readinessTimeoutMs) });
        const latencyMs = Math.round(performance.now() - started);
        if (base.circuit === 'open' || base.circuit === 'isolated') return [name, { ...base, status: 'down', latencyMs, error: CIRCUIT_OPEN }];
        return [name, { ...base, status: 'up', latencyMs }];
      } catch (error) {
        const reason = describeFailure(error);
        return [name, { ...base, status: 'down', latencyMs: Math.round(performance.now() - started), error: reason }];
      }
    }),
  );
  const bySource = Object.fromEntries(checks) as Record<SourceName, SourceStatus>;
  const ready = checks.every(([, status]) => status.status === 'up' || !status.required);
  return { status: ready ? 'ready' : 'unavailable', sources: bySource };
}

function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return 'failed';
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'no answer in time';
  if (error instanceof SourceError) return error.message;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${error.name} ${code}` : error.name;
}

/**
 * Asks every source for its health once, before the gateway listens. A
 * required source (C360_REQUIRED_SOURCES) that does not answer stops the
 * start; an optional one is logged and left to come back: its fields answer
 * SOURCE_UNAVAILABLE meanwhile, /readyz shows it down, and its adapter
 * connects on a later call.
 */
export async function checkSourcesAtStart(sources: Sources, config: GatewayConfig, logger: Logger): Promise<void> {
  const readiness = await checkReadiness(sources, config);
  for (const [source, status] of Object.entries(readiness.sources) as Array<[SourceName, (typeof readiness.sources)[SourceName]]>) {
    if (status.status === 'up') continue;
    const variable = sourceVariable(source, config);
    if (status.required) {
      throw new SourceStartError(
        `The ${source} source is required (C360_REQUIRED_SOURCES) but did not answer at start (${status.error ?? 'down'}); ` +
          `check that it runs and that ${variable} points at it, or remove ${source} from C360_REQUIRED_SOURCES to start without it.`,
      );
    }
    logger.warn(
      { source, variable, error: status.error },
      'an optional source is down at start; the gateway starts without it, its fields answer SOURCE_UNAVAILABLE until it is back',
    );
  }
}
