import { COMPARISON_CONNECTIONS } from './plan.js';
import type { BenchResults, PointResult } from './results.js';
import { findPoint } from './results.js';
import type { ScenarioName } from './scenarios.js';

/** A target from an issue, with the figure this run measured beside it. */
export interface TargetResult {
  readonly issue: number;
  readonly target: string;
  readonly measured: string;
  /** null: not measured in this run (the reason is in `measured`). */
  readonly met: boolean | null;
}

const rps = (point: PointResult | undefined) => point?.requestsPerSecond;
const fmt = (value: number, digits = 2) => value.toFixed(digits);

function ratioTarget(issue: number, target: string, numerator: PointResult | undefined, denominator: PointResult | undefined, minimum: number, describe: (ratio: number) => string, missing: string): TargetResult {
  const a = numerator?.completed ? rps(numerator) : undefined;
  const b = denominator?.completed ? rps(denominator) : undefined;
  if (a === undefined || b === undefined || b === 0) return { issue, target, measured: `not measured: ${missing}`, met: null };
  const ratio = a / b;
  return { issue, target, measured: describe(ratio), met: ratio >= minimum };
}

function skipReason(results: BenchResults, scenario: ScenarioName, variant: string): string {
  return results.skipped.find((s) => s.scenario === scenario && (s.variant === variant || s.variant === 'all'))?.reason ?? 'not in this run';
}

/** What a request that does nothing reaches against the same baseline: the ceiling for any `track`. */
function floorNote(floor: PointResult | undefined, raw: PointResult | undefined): string {
  if (!floor?.completed || !raw?.completed) return '';
  return `; a no-op request through the gateway: ${fmt(floor.requestsPerSecond / raw.requestsPerSecond)} ×`;
}

export function evaluateTargets(results: BenchResults): TargetResult[] {
  const c = COMPARISON_CONNECTIONS;
  const at = (scenario: ScenarioName, variant: PointResult['variant'], latencyMs: number, connections: number) => findPoint(results, scenario, variant, latencyMs, connections);
  const targets: TargetResult[] = [];

  const gateway = at('call-centre', 'gateway', 0, c);
  const bare = at('call-centre', 'bare-apollo', 0, c);
  targets.push(
    ratioTarget(7, `call-centre query, zero-latency sources, ≥ 0.5 × bare Apollo's throughput (${c} connections)`, gateway, bare, 0.5,
      (r) => `${fmt(r)} × (${fmt(rps(gateway)!, 0)} vs ${fmt(rps(bare)!, 0)} req/s)`, skipReason(results, 'call-centre', 'gateway')),
  );
  const memory = at('call-centre', 'gateway-memory-jit', 0, c);
  targets.push(
    ratioTarget(7, `call-centre query, sources from memory, ≥ 1.5 × bare stock Apollo on the same schema and data (${c} connections)`, memory, bare, 1.5,
      (r) => `${fmt(r)} × (${fmt(rps(memory)!, 0)} vs ${fmt(rps(bare)!, 0)} req/s)`, skipReason(results, 'call-centre', 'gateway-memory-jit')),
  );
  for (const scenario of ['call-centre', 'me', 'partner-batch', 'track'] as const) {
    const point = at(scenario, 'gateway', 0, 64);
    const target = `${scenario}: p99 at 64 connections < 3 × p50`;
    if (!point) targets.push({ issue: 7, target, measured: `not measured: ${skipReason(results, scenario, 'gateway')}`, met: null });
    // Every request still in flight when the window closed: the tail is longer than the window itself.
    else if (point.completed === 0) targets.push({ issue: 7, target, measured: `no answer at all within ${point.durationSeconds} s: every request took longer`, met: false });
    else targets.push({ issue: 7, target, measured: `p99 ${point.latency.p99} ms = ${fmt(point.latency.p99 / Math.max(point.latency.p50, 1))} × p50 ${point.latency.p50} ms`, met: point.latency.p99 < 3 * point.latency.p50 });
  }
  for (const scenario of ['call-centre', 'me'] as const) {
    const point = at(scenario, 'gateway', 20, 1);
    const target = `${scenario}, 20 ms per source call: p50 ≤ 1.3 × 20 ms = 26 ms (1 connection)${scenario === 'call-centre' ? '; issue 3: concurrent fan-out' : ''}`;
    if (!point) targets.push({ issue: scenario === 'call-centre' ? 3 : 7, target, measured: `not measured: ${skipReason(results, scenario, 'gateway')}`, met: null });
    else targets.push({ issue: scenario === 'call-centre' ? 3 : 7, target, measured: `p50 ${point.latency.p50} ms (${fmt(point.latency.p50 / 20)} × 20 ms)`, met: point.latency.p50 <= 26 });
  }
  const batch = at('partner-batch', 'gateway', 0, c);
  const naive = at('partner-batch', 'naive', 0, c);
  const naiveTarget = `partner batch of 100 ids: naive baseline ≥ 5 × slower than the gateway (${c} connections)`;
  if (batch?.completed && naive && naive.completed === 0) {
    // No naive batch finished at all: its rate is below one per window, which bounds the ratio from below.
    const atLeast = batch.requestsPerSecond * naive.durationSeconds;
    targets.push({ issue: 7, target: naiveTarget, measured: `naive finished no batch in ${naive.durationSeconds} s; gateway ≥ ${fmt(atLeast, 0)} × faster (${fmt(batch.requestsPerSecond, 1)} req/s)`, met: atLeast >= 5 });
  } else targets.push(
    ratioTarget(7, naiveTarget, batch, naive, 5,
      (r) => `gateway ${fmt(r, 1)} × faster (${fmt(rps(batch)!, 0)} vs ${fmt(rps(naive)!, 1)} req/s)`, skipReason(results, 'partner-batch', 'naive')),
  );
  const batch20 = at('partner-batch', 'gateway', 20, 1);
  const single20 = at('partner-batch', 'gateway-single-id', 20, 1);
  if (batch20 && single20) {
    const ratio = batch20.latency.p50 / Math.max(single20.latency.p50, 1);
    targets.push({ issue: 3, target: '`customers(ids:)` with 100 ids ≤ 2 × one id, same selection (20 ms sources, p50, 1 connection)', measured: `${fmt(ratio)} × (${batch20.latency.p50} vs ${single20.latency.p50} ms)`, met: ratio <= 2 });
  } else {
    targets.push({ issue: 3, target: '`customers(ids:)` with 100 ids ≤ 2 × one id, same selection (20 ms sources, p50, 1 connection)', measured: 'not measured: not in this run', met: null });
  }
  const privacyOff = at('call-centre', 'gateway-privacy-off', 0, c);
  targets.push(
    ratioTarget(4, `call-centre query with enforcement and audit ≥ 0.85 × the same with enforcement switched off (${c} connections)`, gateway, privacyOff, 0.85,
      (r) => `${fmt(r)} × (${fmt(rps(gateway)!, 0)} vs ${fmt(rps(privacyOff)!, 0)} req/s)`, skipReason(results, 'call-centre', 'gateway-privacy-off')),
  );
  const track = at('track', 'gateway', 0, 32);
  const raw = at('track', 'raw-writes', 0, 32);
  targets.push(
    ratioTarget(5, '`track` with 32 clients ≥ 0.5 × raw single-item PutItem writes to dynalite (32 clients)', track, raw, 0.5,
      (r) => `${fmt(r)} × (${fmt(rps(track)!, 0)} events/s vs ${fmt(rps(raw)!, 0)} writes/s)${floorNote(at('track', 'gateway-floor', 0, 32), raw)}`, raw ? skipReason(results, 'track', 'gateway') : skipReason(results, 'track', 'raw-writes')),
  );
  // What the gateway's own work allows: the same key, a request that does nothing ({ __typename }).
  const floor = at('track', 'gateway-floor', 0, 32);
  targets.push(
    ratioTarget(19, '`track` with 32 clients ≥ 0.5 × the gateway\'s own `{ __typename }` rate with the same key (32 clients)', track, floor, 0.5,
      (r) => `${fmt(r)} × (${fmt(rps(track)!, 0)} events/s vs ${fmt(rps(floor)!, 0)} req/s)`, floor ? skipReason(results, 'track', 'gateway') : skipReason(results, 'track', 'gateway-floor')),
  );
  return targets;
}
