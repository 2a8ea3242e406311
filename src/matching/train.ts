import { ATTRIBUTES } from './attributes.js';
import { candidatePairs, comparablePairs } from './blocking.js';
import type { CandidatePairs } from './blocking.js';
import { comparatorFor, levelNames, MISSING } from './comparisons.js';
import type { Comparator } from './comparisons.js';
import { DEFAULT_BLOCKING, DEFAULT_CLUSTERING, DEFAULT_THRESHOLDS } from './defaults.js';
import { expectationMaximisation, patternsOf } from './em.js';
import { MATCH_FIELDS } from './fields.js';
import type { MatchField } from './fields.js';
import { matchModelSchema } from './model.js';
import type { BlockingRule, MatchModel } from './model.js';
import { FIELD_INDEX } from './prepare.js';
import type { PreparedRecord } from './prepare.js';
import { randomPairs } from './random.js';

/**
 * Training a Fellegi–Sunter model on unlabelled records:
 *
 * 1. u, per attribute and level: the share of random record pairs at that
 *    level (almost all random pairs are two different people).
 * 2. m, by expectation–maximisation over the blocked candidate pairs, one
 *    session per blocking rule, u held fixed. A session leaves out the
 *    attributes its rule blocks on (its pairs agree on them by
 *    construction); an attribute's m is the mean over the sessions that
 *    estimated it (as Splink does).
 * 3. The prior: with m and u fixed, EM estimates the share of matches among
 *    all candidates; times candidates over comparable pairs, it is the
 *    chance that two random records are one person.
 *
 * No label is read: records carry none.
 */
export interface TrainOptions {
  readonly name: string;
  /** Where the records came from, for the model file. */
  readonly description: string;
  /** Attributes to model; default: those present in at least 1% of the records (and two records). */
  readonly fields?: readonly MatchField[] | undefined;
  readonly linkOnly?: boolean | undefined;
  /** Random pairs for u (default 200,000; every comparable pair when there are fewer). */
  readonly randomPairs?: number | undefined;
  readonly seed?: number | undefined;
  readonly blocking?: MatchModel['blocking'] | undefined;
  readonly thresholds?: MatchModel['thresholds'] | undefined;
  readonly clustering?: MatchModel['clustering'] | undefined;
  readonly now?: Date | undefined;
}

export interface Training {
  readonly model: MatchModel;
  /** The blocked pairs training used, for scoring the same records without blocking again. */
  readonly candidates: CandidatePairs;
}

export class TrainingError extends Error {}

const DEFAULT_RANDOM_PAIRS = 200_000;
/** EM sessions with fewer pairs than this say too little to estimate m. */
const MIN_SESSION_PAIRS = 50;
const M_FLOOR = 1e-6;

export function trainModel(records: readonly PreparedRecord[], options: TrainOptions): Training {
  const linkOnly = options.linkOnly ?? false;
  const comparable = comparablePairs(records, linkOnly);
  if (comparable === 0) throw new TrainingError('training needs at least two records that may be compared');
  const fields = options.fields ?? presentFields(records);
  if (fields.length === 0) throw new TrainingError('no attribute has values in enough records to train on');
  const settings = options.blocking ?? DEFAULT_BLOCKING;
  const rules = applicableRules(settings.rules, fields);
  const comparators = fields.map(comparatorFor);
  const levelCounts = fields.map((field) => levelNames(ATTRIBUTES[field]).length);

  const random = randomPairs(records, options.randomPairs ?? DEFAULT_RANDOM_PAIRS, { linkOnly, seed: options.seed ?? 1 });
  const u = estimateU(records, random, comparators, levelCounts);
  const candidates = candidatePairs(records, rules, { maxBlockSize: settings.maxBlockSize, linkOnly });
  const vectors = candidateVectors(records, candidates, comparators);

  const sessions = trainSessions(rules, fields, candidates, vectors, u, levelCounts);
  // No candidate at all (no two records alike): nothing to learn m from; the starting m and a prior of one match among all pairs stand.
  const m = candidates.count === 0 ? initialM(levelCounts) : combineSessions(sessions, fields, candidates, vectors, u, levelCounts);
  const lambda = candidates.count === 0 ? 0 : expectationMaximisation(patternsOf(vectors, fields.length, allIndices(fields), candidatesAll(candidates)), { m, u, levelCounts, attributes: allIndices(fields), fixM: true }).lambda;
  const matchProbability = clamp(Math.max(lambda * candidates.count, 1) / comparable, 1e-12, 0.5);

  const model = matchModelSchema.parse({
    format: 'c360-match-model/1',
    name: options.name,
    trainedAt: (options.now ?? new Date()).toISOString(),
    training: {
      description: options.description,
      records: records.length,
      randomPairs: random.count,
      candidatePairs: candidates.count,
      comparablePairs: comparable,
      sessions: sessions.map((s) => ({ blocking: s.rule.name, pairs: s.pairs, iterations: s.iterations, matchShare: round(s.lambda), trained: s.attributes.map((k) => fields[k]!) })),
    },
    prior: { matchProbability: round(matchProbability), weight: round(Math.log2(matchProbability / (1 - matchProbability)), 4) },
    thresholds: options.thresholds ?? DEFAULT_THRESHOLDS,
    attributes: Object.fromEntries(fields.map((field, k) => [field, attributeOf(field, m[k]!, u[k]!)])),
    blocking: { maxBlockSize: settings.maxBlockSize, rules },
    clustering: options.clustering ?? DEFAULT_CLUSTERING,
  });
  return { model, candidates };
}

function presentFields(records: readonly PreparedRecord[]): MatchField[] {
  const least = Math.max(2, Math.ceil(records.length * 0.01));
  return MATCH_FIELDS.filter((field) => records.filter((r) => r.fields[FIELD_INDEX[field]] !== undefined).length >= least);
}

/** Rules whose every attribute is modelled; with none, one rule per attribute. */
function applicableRules(rules: readonly BlockingRule[], fields: readonly MatchField[]): BlockingRule[] {
  const applicable = rules.filter((rule) => rule.keys.every((key) => fields.includes(key.field)));
  return applicable.length > 0 ? applicable : fields.map((field) => ({ name: field, keys: [{ field, transform: 'value' as const }], unordered: false }));
}

function estimateU(records: readonly PreparedRecord[], pairs: { left: Uint32Array; right: Uint32Array; count: number }, comparators: readonly Comparator[], levelCounts: readonly number[]): Float64Array[] {
  const counts = levelCounts.map((n) => new Float64Array(n));
  for (let p = 0; p < pairs.count; p++) {
    const a = records[pairs.left[p]!]!;
    const b = records[pairs.right[p]!]!;
    for (let k = 0; k < comparators.length; k++) counts[k]![comparators[k]!(a, b)]! += 1;
  }
  return counts.map((c) => {
    const present = c.reduce((sum, x, level) => (level === MISSING ? sum : sum + x), 0);
    // A level never seen among the random pairs counts once: u cannot be told apart from 0 below 1/pairs.
    return c.map((x, level) => (level === MISSING ? 0 : Math.max(x, 1) / Math.max(present, 1)));
  });
}

function candidateVectors(records: readonly PreparedRecord[], candidates: CandidatePairs, comparators: readonly Comparator[]): Uint8Array {
  const width = comparators.length;
  const vectors = new Uint8Array(candidates.count * width);
  for (let p = 0; p < candidates.count; p++) {
    const a = records[candidates.left[p]!]!;
    const b = records[candidates.right[p]!]!;
    for (let k = 0; k < width; k++) vectors[p * width + k] = comparators[k]!(a, b);
  }
  return vectors;
}

interface Session {
  readonly rule: BlockingRule;
  readonly attributes: readonly number[];
  readonly pairs: number;
  readonly iterations: number;
  readonly lambda: number;
  readonly m: ReadonlyArray<Float64Array | undefined>;
}

function trainSessions(rules: readonly BlockingRule[], fields: readonly MatchField[], candidates: CandidatePairs, vectors: Uint8Array, u: readonly Float64Array[], levelCounts: readonly number[]): Session[] {
  const sessions: Session[] = [];
  rules.forEach((rule, r) => {
    const blocked = new Set(rule.keys.map((key) => key.field));
    const attributes = allIndices(fields).filter((k) => !blocked.has(fields[k]!));
    const members: number[] = [];
    for (let p = 0; p < candidates.count; p++) if ((candidates.rules[p]! >>> r) & 1) members.push(p);
    if (attributes.length < 2 || members.length < MIN_SESSION_PAIRS) return;
    const result = expectationMaximisation(patternsOf(vectors, fields.length, attributes, members), { m: initialM(levelCounts), u, levelCounts, attributes, fixM: false });
    sessions.push({ rule, attributes, pairs: members.length, iterations: result.iterations, lambda: result.lambda, m: result.m });
  });
  return sessions;
}

/** Mean m per attribute over the sessions that estimated it; attributes no session estimated get one session over every candidate. */
function combineSessions(sessions: readonly Session[], fields: readonly MatchField[], candidates: CandidatePairs, vectors: Uint8Array, u: readonly Float64Array[], levelCounts: readonly number[]): Float64Array[] {
  const m: Float64Array[] = levelCounts.map((n) => new Float64Array(n));
  const untrained: number[] = [];
  for (let k = 0; k < fields.length; k++) {
    const estimates = sessions.flatMap((s) => { const estimate = s.m[k]; return estimate ? [estimate] : []; });
    if (estimates.length === 0) untrained.push(k);
    for (const estimate of estimates) for (let l = 0; l < levelCounts[k]!; l++) m[k]![l]! += estimate[l]! / estimates.length;
  }
  if (untrained.length > 0) {
    const all = allIndices(fields);
    const fallback = expectationMaximisation(patternsOf(vectors, fields.length, all, candidatesAll(candidates)), { m: initialM(levelCounts), u, levelCounts, attributes: all, fixM: false });
    for (const k of untrained) m[k] = Float64Array.from(fallback.m[k]!);
  }
  return m;
}

/** Start from "one person mostly agrees exactly": 0.8 on exact, the rest spread over the other levels. */
function initialM(levelCounts: readonly number[]): Float64Array[] {
  return levelCounts.map((n) => Float64Array.from({ length: n }, (_, l) => (l === MISSING ? 0 : l === 1 ? 0.8 : 0.2 / (n - 2))));
}

/**
 * Weights are log2(m / u), but never below the `different` level's: a
 * level that EM found no match at (m near 0) is partial agreement, and
 * partial agreement is not stronger evidence against one person than none.
 */
function attributeOf(field: MatchField, m: Float64Array, u: Float64Array): MatchModel['attributes'][MatchField] {
  const spec = ATTRIBUTES[field];
  const names = levelNames(spec);
  const weightAt = (l: number) => Math.log2(Math.max(m[l]!, M_FLOOR) / u[l]!);
  const floor = weightAt(names.length - 1);
  return {
    comparison: spec.kind,
    termFrequency: spec.termFrequency,
    levels: names.map((level, l) => (l === MISSING ? { level, m: null, u: null, weight: 0 } : { level, m: round(m[l]!), u: round(u[l]!), weight: round(Math.max(weightAt(l), floor), 4) })),
  };
}

const allIndices = (fields: readonly unknown[]) => fields.map((_, k) => k);
const candidatesAll = (candidates: CandidatePairs) => Array.from({ length: candidates.count }, (_, p) => p);
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** Six significant digits (or `digits` decimals): the file stays readable and scores come from what it says. */
function round(x: number, digits?: number): number {
  return digits === undefined ? Number(x.toPrecision(6)) : Number(x.toFixed(digits));
}
