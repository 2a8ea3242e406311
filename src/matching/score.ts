import { MISSING } from './comparisons.js';
import type { MatchField } from './fields.js';
import { probabilityOf } from './model.js';
import type { CompiledModel } from './model.js';
import { FIELD_INDEX } from './prepare.js';
import type { PreparedRecord } from './prepare.js';
import type { TermFrequencies } from './termFrequencies.js';

/** One attribute's part in a score: the level its values reached and the bits it added. */
export interface MatchEvidence {
  readonly attribute: MatchField;
  readonly level: string;
  readonly weight: number;
}

export interface PairScore {
  /** Posterior probability that the two records are one person. */
  readonly probability: number;
  /** Total bits: prior + the evidence weights. */
  readonly weight: number;
  readonly prior: number;
  readonly evidence: readonly MatchEvidence[];
}

const EXACT = 1;

/** Level index per attribute of the model (in `compiled.fields` order). */
export function comparisonVector(compiled: CompiledModel, a: PreparedRecord, b: PreparedRecord, into = new Uint8Array(compiled.fields.length)): Uint8Array {
  for (let k = 0; k < compiled.comparators.length; k++) into[k] = compiled.comparators[k]!(a, b);
  return into;
}

/** The bits of one attribute at a level, with the term-frequency adjustment of an exact agreement. */
function attributeWeight(compiled: CompiledModel, k: number, level: number, a: PreparedRecord, b: PreparedRecord, frequencies: TermFrequencies | undefined): number {
  const base = compiled.weights[k]![level]!;
  const u = compiled.exactU[k];
  if (level !== EXACT || u === undefined || !frequencies) return base;
  const index = FIELD_INDEX[compiled.fields[k]!];
  const shared = a.fields[index]?.find((x) => b.fields[index]?.some((y) => y.text === x.text));
  const frequency = shared ? frequencies.frequency(index, shared.text) : undefined;
  return frequency === undefined ? base : base + Math.log2(u / frequency);
}

/** Total bits for a pair (the hot path: no evidence list). */
export function pairWeight(compiled: CompiledModel, a: PreparedRecord, b: PreparedRecord, frequencies?: TermFrequencies): number {
  let weight = compiled.model.prior.weight;
  for (let k = 0; k < compiled.comparators.length; k++) {
    const level = compiled.comparators[k]!(a, b);
    if (level !== MISSING) weight += attributeWeight(compiled, k, level, a, b, frequencies);
  }
  return weight;
}

/** The score with its evidence per attribute, as a reviewer reads it. */
export function scorePair(compiled: CompiledModel, a: PreparedRecord, b: PreparedRecord, frequencies?: TermFrequencies): PairScore {
  const prior = compiled.model.prior.weight;
  const evidence = compiled.fields.map((attribute, k) => {
    const level = compiled.comparators[k]!(a, b);
    return { attribute, level: compiled.levels[k]![level]!, weight: level === MISSING ? 0 : attributeWeight(compiled, k, level, a, b, frequencies) };
  });
  const weight = evidence.reduce((sum, e) => sum + e.weight, prior);
  return { probability: probabilityOf(weight), weight, prior, evidence };
}
