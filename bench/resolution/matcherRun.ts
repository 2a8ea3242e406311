import { Matcher, comparablePairs, prepareRecord, trainModel } from '../../src/matching/index.js';
import type { CandidatePairs, Clustering, Link, MatchModel, MatchRecord, PreparedRecord } from '../../src/matching/index.js';

/**
 * The matcher from records to people, as `npm run resolution:eval` runs it:
 * normalize, train on the records themselves (no labels), score the blocked
 * candidates, cluster at the threshold. Timed per step.
 */
export interface MatcherRun {
  readonly model: MatchModel;
  readonly matcher: Matcher;
  readonly prepared: readonly PreparedRecord[];
  readonly candidates: CandidatePairs;
  readonly comparable: number;
  readonly links: readonly Link[];
  readonly clustering: Clustering;
  readonly threshold: number;
  /** Wall-clock seconds per step and in all (normalize + train + score + cluster), and the process's CPU seconds in all (user + system). */
  readonly seconds: { readonly prepare: number; readonly train: number; readonly score: number; readonly cluster: number; readonly total: number; readonly cpu: number };
}

export interface MatcherRunOptions {
  readonly name: string;
  readonly description: string;
  readonly linkOnly: boolean;
  readonly defaultRegion: string;
  /** Default: the trained model's review threshold. */
  readonly threshold?: number | undefined;
}

export function runMatcher(records: readonly MatchRecord[], options: MatcherRunOptions): MatcherRun {
  const cpuStart = process.cpuUsage();
  const clock = stopwatch();
  const prepared = records.map((record) => prepareRecord(record, { defaultRegion: options.defaultRegion }));
  const prepare = clock();
  const { model, candidates } = trainModel(prepared, { name: options.name, description: options.description, linkOnly: options.linkOnly });
  const train = clock();
  const matcher = new Matcher(model, prepared, { linkOnly: options.linkOnly });
  const links = matcher.scoreCandidates(candidates);
  const score = clock();
  const threshold = options.threshold ?? model.thresholds.review;
  const clustering = matcher.cluster(links, threshold);
  const cluster = clock();
  const cpu = process.cpuUsage(cpuStart);
  return {
    model,
    matcher,
    prepared,
    candidates,
    comparable: comparablePairs(prepared, options.linkOnly),
    links,
    clustering,
    threshold,
    seconds: { prepare, train, score, cluster, total: prepare + train + score + cluster, cpu: (cpu.user + cpu.system) / 1e6 },
  };
}

function stopwatch(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const seconds = (now - last) / 1000;
    last = now;
    return seconds;
  };
}
