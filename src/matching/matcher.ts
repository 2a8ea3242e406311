import { candidatePairs } from './blocking.js';
import type { CandidatePairs } from './blocking.js';
import { clusterRecords } from './cluster.js';
import type { Clustering, Link } from './cluster.js';
import { compileModel, probabilityOf } from './model.js';
import type { CompiledModel, MatchModel } from './model.js';
import type { PreparedRecord } from './prepare.js';
import { pairWeight, scorePair } from './score.js';
import type { PairScore } from './score.js';
import { TermFrequencies } from './termFrequencies.js';

export interface MatcherOptions {
  /** Compare only records of different sources; two records of one source are never one person. */
  readonly linkOnly?: boolean | undefined;
  /** Counted on `records` when not given (online scoring passes the population's). */
  readonly frequencies?: TermFrequencies | undefined;
}

/**
 * A model applied to a set of prepared records: blocking, scoring with
 * term-frequency adjustment, and clustering with the chain guard. Scores
 * are remembered per pair, so the guard and explanations do not compare a
 * pair twice.
 */
export class Matcher {
  readonly compiled: CompiledModel;
  readonly frequencies: TermFrequencies;
  private readonly linkOnly: boolean;
  private readonly known = new Map<number, number>();

  constructor(
    model: MatchModel | CompiledModel,
    readonly records: readonly PreparedRecord[],
    options: MatcherOptions = {},
  ) {
    this.compiled = 'comparators' in model ? model : compileModel(model);
    this.linkOnly = options.linkOnly ?? false;
    this.frequencies = options.frequencies ?? TermFrequencies.count(records, this.compiled.fields.filter((field) => this.compiled.model.attributes[field]!.termFrequency));
  }

  /** The pairs the model's blocking rules let through. */
  candidates(): CandidatePairs {
    return candidatePairs(this.records, this.compiled.model.blocking.rules, { maxBlockSize: this.compiled.model.blocking.maxBlockSize, linkOnly: this.linkOnly });
  }

  /** Every candidate with its match probability. */
  scoreCandidates(candidates: CandidatePairs): Link[] {
    const links: Link[] = new Array(candidates.count);
    for (let p = 0; p < candidates.count; p++) {
      const left = candidates.left[p]!;
      const right = candidates.right[p]!;
      links[p] = { left, right, probability: this.probability(left, right) };
    }
    return links;
  }

  /** Match probability of two records (by index); 0 for two records of one source when linking only. */
  probability(left: number, right: number): number {
    if (left === right) return 1;
    const [i, j] = left < right ? [left, right] : [right, left];
    const key = i * this.records.length + j;
    const known = this.known.get(key);
    if (known !== undefined) return known;
    const a = this.records[i]!;
    const b = this.records[j]!;
    const probability = this.linkOnly && a.source === b.source ? 0 : probabilityOf(pairWeight(this.compiled, a, b, this.frequencies));
    this.known.set(key, probability);
    return probability;
  }

  /** The score with its evidence per attribute. */
  explain(left: number, right: number): PairScore {
    return scorePair(this.compiled, this.records[left]!, this.records[right]!, this.frequencies);
  }

  /** People from scored links, at the model's review threshold and clustering settings unless others are given. */
  cluster(links: readonly Link[], threshold = this.compiled.model.thresholds.review, settings: Partial<MatchModel['clustering']> = {}): Clustering {
    const { maxClusterSize, minPairProbability } = { ...this.compiled.model.clustering, ...settings };
    return clusterRecords(this.records.length, links, { threshold, maxClusterSize, minPairProbability, probability: (a, b) => this.probability(a, b) });
  }
}
