import { z } from 'zod';
import { ATTRIBUTES } from './attributes.js';
import { comparatorFor, levelNames } from './comparisons.js';
import type { Comparator } from './comparisons.js';
import { MATCH_FIELDS } from './fields.js';
import type { MatchField } from './fields.js';

/**
 * The model file (config/match-model.json): everything the matcher needs,
 * readable by a person. Trained parameters (m, u and the weight of each
 * comparison level, the prior) beside the settings that were used
 * (blocking rules, review threshold, clustering guard). It holds no
 * personal value: term frequencies are counted on the records being
 * matched, not stored here.
 */
const probability = z.number().min(0).max(1);

const levelSchema = z.object({
  level: z.string(),
  /** P(level | same person); null for `missing`, which weighs nothing. */
  m: probability.nullable(),
  /** P(level | different people), from random pairs. */
  u: probability.nullable(),
  /** log2(m / u): bits of evidence for (positive) or against (negative) one person. */
  weight: z.number().finite(),
});

const attributeSchema = z.object({
  comparison: z.enum(['name', 'text', 'code', 'category', 'identifier', 'email', 'phone', 'date']),
  termFrequency: z.boolean(),
  levels: z.array(levelSchema).min(2),
});

export const BLOCKING_TRANSFORMS = ['value', 'phonetic', 'year', 'initial'] as const;

const blockingRuleSchema = z.object({
  name: z.string().min(1),
  /** Records that agree on every key part of some rule are compared; a part's transform: the value, its Double Metaphone code, a date's year, a name's first letter. */
  keys: z.array(z.object({ field: z.enum(MATCH_FIELDS), transform: z.enum(BLOCKING_TRANSFORMS).default('value') })).min(1),
  /** The parts' values in either order (given name and surname written the other way round still meet). */
  unordered: z.boolean().default(false),
});

export const matchModelSchema = z.object({
  format: z.literal('c360-match-model/1'),
  name: z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:-]+$/),
  trainedAt: z.string(),
  training: z.object({
    description: z.string(),
    records: z.number().int().nonnegative(),
    randomPairs: z.number().int().nonnegative(),
    candidatePairs: z.number().int().nonnegative(),
    comparablePairs: z.number().nonnegative(),
    sessions: z.array(z.object({ blocking: z.string(), pairs: z.number().int(), iterations: z.number().int(), matchShare: probability, trained: z.array(z.enum(MATCH_FIELDS)) })),
  }),
  prior: z.object({
    /** The chance that two records drawn at random are one person. */
    matchProbability: z.number().gt(0).lt(1),
    weight: z.number().finite(),
  }),
  thresholds: z.object({
    /** Pairs at or above this match probability are linked (and suggested for review). */
    review: z.number().gt(0).lt(1),
    /** Pairs at or above this merge without review; null: never. */
    autoMerge: z.number().gt(0).lt(1).nullable(),
  }),
  attributes: z.partialRecord(z.enum(MATCH_FIELDS), attributeSchema),
  blocking: z.object({
    rules: z.array(blockingRuleSchema).min(1),
    /** A block with more records than this is skipped (a placeholder value shared by thousands would cost millions of comparisons). */
    maxBlockSize: z.number().int().min(2),
  }),
  clustering: z.object({
    /** Records that may end up in one person. */
    maxClusterSize: z.number().int().min(2),
    /** Two groups join only if no pair across them scores below this probability (the chain guard). */
    minPairProbability: probability,
  }),
});

export type MatchModel = z.infer<typeof matchModelSchema>;
export type BlockingRule = z.infer<typeof blockingRuleSchema>;
export type ModelAttribute = z.infer<typeof attributeSchema>;

/** A model ready to score: comparators and weights in arrays, per attribute of the model. */
export interface CompiledModel {
  readonly model: MatchModel;
  readonly fields: readonly MatchField[];
  readonly comparators: readonly Comparator[];
  readonly levels: ReadonlyArray<readonly string[]>;
  readonly weights: ReadonlyArray<Float64Array>;
  /** u of the exact level for attributes with term-frequency adjustment, else undefined. */
  readonly exactU: ReadonlyArray<number | undefined>;
}

export class ModelMismatchError extends Error {}

/**
 * Checks that each attribute's levels are the ones this version of the code
 * compares (a model trained by another version must be retrained).
 */
export function compileModel(model: MatchModel): CompiledModel {
  const fields = MATCH_FIELDS.filter((field) => model.attributes[field] !== undefined);
  const levels = fields.map((field) => {
    const attribute = model.attributes[field]!;
    const expected = levelNames(ATTRIBUTES[field]);
    const actual = attribute.levels.map((l) => l.level);
    if (attribute.comparison !== ATTRIBUTES[field].kind || actual.join() !== expected.join()) {
      throw new ModelMismatchError(`match model: attribute ${field} has levels ${actual.join(', ')}; this version compares ${expected.join(', ')} (retrain the model)`);
    }
    return expected;
  });
  return {
    model,
    fields,
    comparators: fields.map(comparatorFor),
    levels,
    weights: fields.map((field) => Float64Array.from(model.attributes[field]!.levels.map((l) => l.weight))),
    exactU: fields.map((field) => {
      const attribute = model.attributes[field]!;
      return attribute.termFrequency ? (attribute.levels[1]?.u ?? undefined) : undefined;
    }),
  };
}

/** Bits of evidence to a probability. */
export function probabilityOf(weight: number): number {
  return 1 / (1 + 2 ** -weight);
}
