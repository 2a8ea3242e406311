import type { LoadResult } from './load.js';
import type { Machine } from './machine.js';
import type { PairResult } from './pairs.js';
import type { Skip } from './plan.js';
import type { ScenarioName, Variant } from './scenarios.js';

/** One measured point, as written to bench/results/*.json. */
export interface PointResult extends LoadResult {
  readonly scenario: ScenarioName;
  readonly variant: Variant;
  readonly latencyMs: number;
  readonly connections: number;
  /** How long it was measured (longer than the run's setting when it first had too few answers). */
  readonly durationSeconds: number;
  /** Resident memory of the measured server after the point, MiB. */
  readonly serverRssMiB: number;
  /**
   * The measured server's CPU time (user + system, all threads) over the
   * measured window, divided by the answers in it, in milliseconds: less
   * sensitive to other work on the machine than the rate. Absent in older
   * results and where /proc is not available.
   */
  readonly serverCpuMsPerRequest?: number;
}

export interface BenchResults {
  readonly version: 1;
  readonly date: string;
  readonly commit: string;
  /** Uncommitted changes to tracked files when the run started. */
  readonly dirty: boolean;
  readonly machine: Machine;
  readonly loadAverageAtEnd: number;
  /** settleSeconds: absent in results before points settled their connections (0). */
  readonly settings: { readonly durationSeconds: number; readonly warmupSeconds: number; readonly settleSeconds?: number };
  readonly scenarios: readonly ScenarioName[];
  readonly points: readonly PointResult[];
  /** The ratio targets' comparisons in alternation (lib/pairs.ts); absent in older results. */
  readonly pairs?: readonly PairResult[];
  readonly skipped: readonly Skip[];
  /** What the harness noticed: baselines that did not match, servers that failed. */
  readonly notes: readonly string[];
  readonly elapsedSeconds: number;
  /** `npm start` to /readyz 200 on a data dir already loaded (a whole run only). */
  readonly startup?: { readonly runsMs: readonly number[]; readonly medianMs: number };
}

export function findPoint(results: BenchResults, scenario: ScenarioName, variant: Variant, latencyMs: number, connections: number): PointResult | undefined {
  return results.points.find((p) => p.scenario === scenario && p.variant === variant && p.latencyMs === latencyMs && p.connections === connections);
}
