import type { LoadGenerator, LoadResult } from './load.js';
import { log } from './log.js';
import type { Point } from './plan.js';
import { COMPARISON_CONNECTIONS } from './plan.js';
import type { ScenarioName, Variant } from './scenarios.js';
import { startServer } from './servers.js';
import type { RunningServer } from './servers.js';

/**
 * A ratio target measured in alternation. The points of a run are measured
 * one server after another, minutes apart, and on this kind of machine two
 * runs of the same point differ by 5 to 30 %: a ratio of two such points
 * carries the drift of everything else the machine did in between. Here
 * both servers are up at once (each fresh, warmed alike) and measured in
 * turn, slice after slice, the order swapped every round; each round gives
 * a ratio of two slices seconds apart, and the target takes their median.
 */
export interface PairSpec {
  readonly scenario: ScenarioName;
  readonly numerator: Variant;
  readonly denominator: Variant;
  readonly latencyMs: number;
  readonly connections: number;
}

export interface PairRound {
  readonly numerator: number;
  readonly denominator: number;
  /** Server CPU per answer (ms, all threads), where /proc says. */
  readonly numeratorCpuMs?: number;
  readonly denominatorCpuMs?: number;
}

export interface PairResult extends PairSpec {
  readonly sliceSeconds: number;
  readonly rounds: readonly PairRound[];
  /** The median of the rounds' numerator ÷ denominator. */
  readonly ratio: number;
  /** The median rate of each side, req/s. */
  readonly numeratorRps: number;
  readonly denominatorRps: number;
}

/** The comparisons the issues' ratio targets make (bench/lib/targets.ts), each run when both of its points are in the plan. */
export const PAIRS: readonly PairSpec[] = [
  { scenario: 'call-centre', numerator: 'gateway-memory-jit', denominator: 'bare-apollo', latencyMs: 0, connections: COMPARISON_CONNECTIONS },
  { scenario: 'call-centre', numerator: 'gateway-memory-floor', denominator: 'bare-apollo-floor', latencyMs: 0, connections: COMPARISON_CONNECTIONS },
  { scenario: 'call-centre', numerator: 'gateway-memory-jit', denominator: 'gateway-privacy-off', latencyMs: 0, connections: COMPARISON_CONNECTIONS },
  { scenario: 'partner-batch', numerator: 'gateway-memory-jit', denominator: 'bare-apollo', latencyMs: 0, connections: COMPARISON_CONNECTIONS },
  { scenario: 'call-centre', numerator: 'gateway', denominator: 'direct', latencyMs: 0, connections: COMPARISON_CONNECTIONS },
  { scenario: 'track', numerator: 'gateway', denominator: 'gateway-floor', latencyMs: 0, connections: 32 },
  { scenario: 'track', numerator: 'track-writes', denominator: 'gateway-floor', latencyMs: 0, connections: 32 },
];

export function findPair(pairs: readonly PairResult[] | undefined, scenario: ScenarioName, numerator: Variant, denominator: Variant): PairResult | undefined {
  return pairs?.find((p) => p.scenario === scenario && p.numerator === numerator && p.denominator === denominator);
}

/** The middle value (the mean of the two middle ones for an even count). */
export const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export interface PairSettings {
  readonly rounds: number;
  readonly sliceSeconds: number;
  /** Seconds each slice's own connections run before its window opens (bench/run.ts, SETTLE_SECONDS). */
  readonly settleSeconds: number;
  readonly warmupSeconds: number;
  /** Waits until a server has finished what a slice left in flight. */
  readonly drain: (server: RunningServer) => Promise<void>;
}

/** Every pair of PAIRS whose two points are planned, in alternation; a pair whose server does not start is noted and left out. */
export async function measurePairs(points: readonly Point[], load: LoadGenerator, settings: PairSettings, notes: string[]): Promise<PairResult[]> {
  const results: PairResult[] = [];
  for (const pair of PAIRS) {
    const pointOf = (variant: Variant) =>
      points.find((p) => p.scenario === pair.scenario && p.variant === variant && p.latencyMs === pair.latencyMs && p.connections === pair.connections);
    const a = pointOf(pair.numerator);
    const b = pointOf(pair.denominator);
    if (!a || !b) continue;
    const label = `${pair.scenario}: ${pair.numerator} ÷ ${pair.denominator} @ ${pair.latencyMs} ms, ${pair.connections} conn`;
    try {
      const result = await measurePair(pair, a, b, load, settings);
      log(`pair ${label}: ${result.ratio.toFixed(2)} × (rounds ${result.rounds.map((r) => (r.numerator / r.denominator).toFixed(2)).join(' ')}; ${result.numeratorRps.toFixed(0)} vs ${result.denominatorRps.toFixed(0)} req/s)`);
      results.push(result);
    } catch (error) {
      const note = `pair ${label}: not measured: ${(error as Error).message.slice(0, 300)}`;
      notes.push(note);
      log(note);
    }
  }
  return results;
}

async function measurePair(pair: PairSpec, a: Point, b: Point, load: LoadGenerator, settings: PairSettings): Promise<PairResult> {
  // Both fresh, side by side; the same server spec may stand for both sides' keys in the run, but here each side has its own process.
  const servers: RunningServer[] = [];
  try {
    for (const point of [a, b]) servers.push(await startServer({ ...point.server, key: `${point.server.key} (pair)` }));
    const [serverA, serverB] = servers as [RunningServer, RunningServer];
    const jobA = { ...(await a.target(serverA)), connections: pair.connections };
    const jobB = { ...(await b.target(serverB)), connections: pair.connections };
    const slice = async (server: RunningServer, job: typeof jobA): Promise<{ result: LoadResult; cpuMs?: number }> => {
      await settings.drain(server);
      const { result, cpuMsPerAnswer } = await load.measure({ ...job, durationSeconds: settings.sliceSeconds, settleSeconds: settings.settleSeconds }, () => server.cpuMs());
      if (result.completed === 0) throw new Error('a slice completed no request');
      if (result.non2xx + result.errors + result.timeouts > 0) throw new Error(`a slice had ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
      return { result, ...(cpuMsPerAnswer !== undefined ? { cpuMs: cpuMsPerAnswer } : {}) };
    };
    for (const job of [jobA, jobB]) await load.run({ ...job, durationSeconds: settings.warmupSeconds });
    const rounds: PairRound[] = [];
    for (let round = 0; round < settings.rounds; round++) {
      // Swapped every round: whichever goes second meets the first one's leftovers (GC, caches) as often as the other.
      const first = round % 2 === 0;
      const one = await slice(first ? serverA : serverB, first ? jobA : jobB);
      const two = await slice(first ? serverB : serverA, first ? jobB : jobA);
      const [ofA, ofB] = first ? [one, two] : [two, one];
      rounds.push({
        numerator: ofA.result.requestsPerSecond,
        denominator: ofB.result.requestsPerSecond,
        ...(ofA.cpuMs !== undefined ? { numeratorCpuMs: Math.round(ofA.cpuMs * 1000) / 1000 } : {}),
        ...(ofB.cpuMs !== undefined ? { denominatorCpuMs: Math.round(ofB.cpuMs * 1000) / 1000 } : {}),
      });
    }
    return {
      ...pair,
      sliceSeconds: settings.sliceSeconds,
      rounds,
      ratio: median(rounds.map((r) => r.numerator / r.denominator)),
      numeratorRps: median(rounds.map((r) => r.numerator)),
      denominatorRps: median(rounds.map((r) => r.denominator)),
    };
  } finally {
    for (const server of servers) await server.stop();
  }
}
