import type { DemoData } from '../../src/embedded/demoData.js';
import type { Features } from './features.js';
import type { LoadJob } from './load.js';
import type { GraphQLRequest, ScenarioName, Variant } from './scenarios.js';
import {
  RAW_WRITE_HEADERS,
  callCentreRequest,
  graphqlBodies,
  meRequest,
  partnerBatchRequest,
  partnerSingleRequest,
  rawWriteBodies,
  trackRequest,
} from './scenarios.js';
import { baselineEntry } from './servers.js';
import type { RunningServer, ServerSpec } from './servers.js';
import { BENCH_JWT_SECRET } from './features.js';

export const CONNECTIONS = [1, 16, 64] as const;
/** Issue 5 names 32 concurrent clients for ingestion. */
export const TRACK_CONNECTIONS = [1, 16, 32, 64] as const;
export const LATENCIES = [0, 20] as const;
/** Comparisons that are not about concurrency run at one level, as the published Apollo figures do. */
export const COMPARISON_CONNECTIONS = 16;

export type LoadTarget = Omit<LoadJob, 'connections' | 'durationSeconds'>;

/** One measurement: a variant of a scenario, at a source latency and a number of connections. */
export interface Point {
  readonly scenario: ScenarioName;
  readonly variant: Variant;
  readonly latencyMs: number;
  readonly connections: number;
  readonly server: ServerSpec;
  target(server: RunningServer): Promise<LoadTarget>;
}

export interface Skip {
  readonly scenario: ScenarioName;
  readonly variant: Variant | 'all';
  readonly reason: string;
}

/** The request behind each capture key; a key is also the bare route's path. */
export type Requests = Partial<Record<CaptureKey, GraphQLRequest>>;
export type CaptureKey = 'call-centre' | 'me' | 'partner-batch' | 'partner-single' | 'track';

/**
 * The gateway as the benchmark runs it: embedded default in memory, logs at
 * warn (no access log line per request), a 30 s source deadline and a
 * circuit breaker that does not open: with 64 connections on two cores,
 * queueing alone passes the 300 ms default, and timed-out sources (then an
 * open circuit answering at once) would turn a throughput measurement into
 * one of fast partial answers. An overloaded point shows as slow answers.
 */
export function gatewaySpec(key: string, extra: Record<string, string> = {}, nodeFlags: readonly string[] = []): ServerSpec {
  return {
    key,
    // The compiled build, as `npm start` runs it (bench/run.ts builds it first when stale).
    entry: 'dist/src/main.js',
    compiled: true,
    portVariable: 'C360_PORT',
    // No per-key rate limit: every point drives one key far past the default 1,200 requests a minute.
    env: {
      C360_DATA_DIR: 'memory',
      C360_LOG_LEVEL: 'warn',
      C360_SOURCE_TIMEOUT_MS: '30000',
      C360_BREAKER_THRESHOLD: '1000',
      C360_RATE_LIMIT_PER_MINUTE: '0',
      // The start's source check waits up to 10 s, not 1 s: on a busy machine dynalite's worker can take longer to answer first.
      C360_READINESS_TIMEOUT_MS: '10000',
      // The `me` scenario's customer token is signed with this (bench/lib/features.ts).
      C360_JWT_SECRET: BENCH_JWT_SECRET,
      ...extra,
    },
    nodeFlags,
    // On the embedded default the segments worker runs (C360_SEGMENTS_WORKER_MS): measure once the start-up work is over.
    ...(extra.C360_SOURCES === 'memory' || extra.C360_SEGMENTS_WORKER_MS === '0' ? {} : { settleMs: SETTLE_WINDOW_MS }),
  };
}

/** Longer than the segments worker's 5 s between rounds, so that a gap between two backfill rounds is not taken for the end. */
const SETTLE_WINDOW_MS = 7_000;

const latencyEnv = (latencyMs: number) => ({ C360_INJECT_LATENCY_MS: String(latencyMs) });

export function serverFor(variant: Variant, latencyMs: number, capturesFile: string): ServerSpec {
  switch (variant) {
    case 'gateway':
    case 'gateway-single-id':
      return gatewaySpec(`gateway@${latencyMs}`, latencyEnv(latencyMs));
    case 'naive':
      return gatewaySpec(`naive@${latencyMs}`, { ...latencyEnv(latencyMs), C360_DATALOADER: 'false' });
    case 'gateway-floor':
      return gatewaySpec('gateway-floor');
    case 'gateway-memory-jit':
      return gatewaySpec('gateway-memory-jit', { C360_BENCHMARK_MODE: 'true', C360_SOURCES: 'memory' });
    case 'gateway-memory-single-id':
    case 'gateway-memory-floor':
      return gatewaySpec('gateway-memory-jit', { C360_BENCHMARK_MODE: 'true', C360_SOURCES: 'memory' });
    case 'gateway-memory-stock':
      return gatewaySpec('gateway-memory-stock', { C360_BENCHMARK_MODE: 'true', C360_SOURCES: 'memory', C360_EXECUTOR: 'stock' });
    case 'gateway-privacy-off':
      return gatewaySpec('gateway-privacy-off', { C360_BENCHMARK_MODE: 'true', C360_SOURCES: 'memory', C360_PRIVACY_ENFORCEMENT: 'off' });
    case 'direct':
      return { key: `direct@${latencyMs}`, entry: baselineEntry('direct'), compiled: true, portVariable: 'PORT', env: { C360_DATA_DIR: 'memory', ...latencyEnv(latencyMs) } };
    case 'bare-apollo':
    case 'bare-apollo-floor':
    case 'bare-apollo-single-id':
    case 'bare-apollo-no-cache-control':
    case 'bare-apollo-jit': {
      const stock = variant === 'bare-apollo' || variant === 'bare-apollo-floor' || variant === 'bare-apollo-single-id';
      const mode = stock ? 'stock' : variant === 'bare-apollo-jit' ? 'jit' : 'no-cache-control';
      // The floor's `{ __typename }` and the one-id request run on the same stock server as the scenarios' requests.
      return { key: stock ? 'bare-apollo' : variant, entry: baselineEntry('apollo'), compiled: true, portVariable: 'PORT', env: { BENCH_CAPTURES: capturesFile, BENCH_APOLLO: mode } };
    }
    case 'bare-route':
      return { key: variant, entry: baselineEntry('route'), compiled: true, portVariable: 'PORT', env: { BENCH_CAPTURES: capturesFile } };
    case 'raw-writes':
      return { key: variant, entry: baselineEntry('dynalite'), compiled: true, portVariable: 'PORT', env: {} };
    case 'track-writes':
      return { key: variant, entry: baselineEntry('trackWrites'), compiled: true, portVariable: 'PORT', env: { C360_DATA_DIR: 'memory' } };
  }
}

/** How a variant is driven: the gateway and bare Apollo over GraphQL, the route by scenario, direct with the reads, raw writes to dynalite. */
export function targetFor(variant: Variant, key: CaptureKey, request: GraphQLRequest | undefined, demo: DemoData): (server: RunningServer) => Promise<LoadTarget> {
  const json = { 'content-type': 'application/json' };
  return async (server) => {
    switch (variant) {
      case 'bare-apollo':
      case 'bare-apollo-single-id':
      case 'bare-apollo-no-cache-control':
      case 'bare-apollo-jit':
        return { url: `${server.url}/graphql`, method: 'POST', headers: json, bodies: graphqlBodies(request!) };
      case 'bare-route':
        return { url: `${server.url}/route/${key}`, method: 'POST', headers: json, bodies: graphqlBodies(request!) };
      case 'direct':
        return { url: `${server.url}/direct`, method: 'POST', headers: json, body: JSON.stringify(request!.direct) };
      case 'bare-apollo-floor':
        return { url: `${server.url}/graphql`, method: 'POST', headers: json, body: JSON.stringify({ query: '{ __typename }' }) };
      case 'gateway-floor':
      case 'gateway-memory-floor':
        // The least a request through the gateway costs: the same HTTP, key check, limits and telemetry, no source call.
        return { url: `${server.url}/graphql`, method: 'POST', headers: { ...json, ...request!.headers }, body: JSON.stringify({ query: '{ __typename }' }) };
      case 'raw-writes': {
        const info = (await (await fetch(`${server.url}/healthz`)).json()) as { endpoint: string; eventsTable: string };
        return { url: `${info.endpoint}/`, method: 'POST', headers: RAW_WRITE_HEADERS, bodies: rawWriteBodies(info.eventsTable, demo) };
      }
      case 'track-writes':
        return { url: `${server.url}/track-writes`, method: 'POST', headers: json, body: '{}' };
      default:
        return { url: `${server.url}/graphql`, method: 'POST', headers: { ...json, ...request!.headers }, bodies: graphqlBodies(request!) };
    }
  };
}

/** The requests this build can answer, and why the others are skipped. */
export function buildRequests(features: Features, demo: DemoData): { requests: Requests; skips: Map<CaptureKey, string> } {
  const requests: Requests = { 'call-centre': callCentreRequest(), 'partner-batch': partnerBatchRequest(), 'partner-single': partnerSingleRequest() };
  const skips = new Map<CaptureKey, string>();
  if ('token' in features.customerToken) requests.me = meRequest(features.customerToken.token);
  else skips.set('me', `needs a customer token for the \`me\` query (issue 4): ${features.customerToken.missing}`);
  if (features.rootFields.has('Mutation.track')) requests.track = trackRequest(demo);
  else skips.set('track', 'needs the `track` mutation (issue 5): the schema has no Mutation.track');
  return { requests, skips };
}

interface Wanted {
  readonly variant: Variant;
  readonly key: CaptureKey;
  readonly latencies: readonly number[];
  readonly connections: readonly number[];
}

function wantedPoints(scenario: ScenarioName): Wanted[] {
  const every = (variant: Variant, key: CaptureKey, latencies: readonly number[] = LATENCIES, connections: readonly number[] = CONNECTIONS): Wanted => ({ variant, key, latencies, connections });
  const once = (variant: Variant, key: CaptureKey) => every(variant, key, [0]);
  const at16 = (variant: Variant, key: CaptureKey) => every(variant, key, [0], [COMPARISON_CONNECTIONS]);
  switch (scenario) {
    case 'call-centre':
      return [
        every('gateway', 'call-centre'),
        every('naive', 'call-centre'),
        every('direct', 'call-centre'),
        once('bare-apollo', 'call-centre'),
        once('bare-route', 'call-centre'),
        at16('gateway-memory-jit', 'call-centre'),
        at16('gateway-memory-stock', 'call-centre'),
        at16('gateway-privacy-off', 'call-centre'),
        // Issue 18: what a request that does nothing costs, against a bare Apollo Server doing nothing; from
        // memory, as the issue measures (the embedded default's own no-op request is the track scenario's floor).
        at16('gateway-memory-floor', 'call-centre'),
        at16('bare-apollo-floor', 'call-centre'),
      ];
    case 'me':
      // The direct baseline's reads are the call-centre's (one customer and its events page): see call-centre.
      return [every('gateway', 'me'), once('bare-apollo', 'me'), once('bare-route', 'me')];
    case 'partner-batch':
      return [
        every('gateway', 'partner-batch'),
        // At 64 connections one naive wave is 25,600 single-key reads: longer than any measurement window here.
        every('naive', 'partner-batch', LATENCIES, [1, COMPARISON_CONNECTIONS]),
        every('direct', 'partner-batch'),
        once('bare-apollo', 'partner-batch'),
        once('bare-route', 'partner-batch'),
        every('gateway-single-id', 'partner-single', LATENCIES, [1]),
        // Issue 18: the gateway's own per-item cost, without dynalite's.
        every('gateway-memory-jit', 'partner-batch', [0], [1, COMPARISON_CONNECTIONS]),
        every('gateway-memory-single-id', 'partner-single', [0], [1]),
        // The same 100 ÷ 1 for a bare Apollo Server answering the same responses: what the framework itself costs per item.
        every('bare-apollo-single-id', 'partner-single', [0], [1]),
      ];
    case 'track':
      return [
        every('gateway', 'track', [0], TRACK_CONNECTIONS),
        every('gateway', 'track', [20]),
        every('raw-writes', 'track', [0], TRACK_CONNECTIONS),
        every('gateway-floor', 'track', [0], [32]),
        // The ceiling of track ÷ floor: the same writes with no gateway in front (bench/baselines/trackWrites.ts).
        every('track-writes', 'track', [0], [32]),
        once('bare-apollo', 'track'),
        once('bare-route', 'track'),
      ];
    case 'apollo-tuning':
      return [at16('bare-apollo', 'call-centre'), at16('bare-apollo-no-cache-control', 'call-centre'), at16('bare-apollo-jit', 'call-centre')];
  }
}

/**
 * The gateway gets a server of its own per scenario, started fresh: a
 * scenario's figures must not depend on what ran before it (the partner
 * batch at 64 connections leaves a large heap and a single view full of
 * audit records behind; the `track` rate measured after it was about two
 * thirds of what a fresh server gives).
 */
function ownServer(spec: ServerSpec, variant: Variant, scenario: ScenarioName): ServerSpec {
  return variant === 'gateway' ? { ...spec, key: `${spec.key}/${scenario}` } : spec;
}

/**
 * BENCH_VARIANTS (comma-separated variant names) keeps only those variants:
 * for quick comparisons while working; a filtered run never rewrites bench/README.md.
 */
export function variantFilter(env: NodeJS.ProcessEnv = process.env): ((variant: Variant) => boolean) | undefined {
  const names = (env.BENCH_VARIANTS ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  return names.length > 0 ? (variant) => names.includes(variant) : undefined;
}

/** Every point of the chosen scenarios; a point whose request this build cannot make is a skip with its reason. */
export function planPoints(
  scenarios: readonly ScenarioName[],
  requests: Requests,
  skips: ReadonlyMap<CaptureKey, string>,
  demo: DemoData,
  capturesFile: string,
): { points: Point[]; skipped: Skip[] } {
  const points: Point[] = [];
  const skipped: Skip[] = [];
  const keep = variantFilter();
  for (const scenario of scenarios) {
    for (const wanted of wantedPoints(scenario)) {
      if (keep && !keep(wanted.variant)) continue;
      const request = requests[wanted.key];
      // Raw writes need no gateway feature: they are measured even before `track` exists.
      if (!request && wanted.variant !== 'raw-writes') {
        if (!skipped.some((s) => s.scenario === scenario && s.variant === wanted.variant)) {
          skipped.push({ scenario, variant: wanted.variant, reason: skips.get(wanted.key) ?? 'no request' });
        }
        continue;
      }
      for (const latencyMs of wanted.latencies) {
        for (const connections of wanted.connections) {
          points.push({
            scenario,
            variant: wanted.variant,
            latencyMs,
            connections,
            server: ownServer(serverFor(wanted.variant, latencyMs, capturesFile), wanted.variant, scenario),
            target: targetFor(wanted.variant, wanted.key, request, demo),
          });
        }
      }
    }
  }
  return { points, skipped };
}
