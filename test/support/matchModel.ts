import { ATTRIBUTES, DEFAULT_BLOCKING, levelNames, matchModelSchema } from '../../src/matching/index.js';
import type { MatchField, MatchModel } from '../../src/matching/index.js';

/**
 * A model written by hand for tests that need known weights: per attribute
 * +8 bits for exact, +4 for the levels in between, -4 for different;
 * u of exact 0.01 (term frequencies adjust against it).
 */
export function handModel(fields: readonly MatchField[], overrides: Partial<MatchModel> = {}): MatchModel {
  const attributes = Object.fromEntries(
    fields.map((field) => {
      const names = levelNames(ATTRIBUTES[field]);
      const levels = names.map((level, l) => {
        if (l === 0) return { level, m: null, u: null, weight: 0 };
        if (level === 'exact') return { level, m: 0.9, u: 0.01, weight: 8 };
        if (level === 'different') return { level, m: 0.05, u: 0.8, weight: -4 };
        return { level, m: 0.05, u: 0.003, weight: 4 };
      });
      return [field, { comparison: ATTRIBUTES[field].kind, termFrequency: ATTRIBUTES[field].termFrequency, levels }];
    }),
  );
  return matchModelSchema.parse({
    format: 'c360-match-model/1',
    name: 'hand',
    trainedAt: '2026-12-01T00:00:00.000Z',
    training: { description: 'written by hand', records: 0, randomPairs: 0, candidatePairs: 0, comparablePairs: 0, sessions: [] },
    prior: { matchProbability: 0.001, weight: Math.log2(0.001 / 0.999) },
    thresholds: { review: 0.5, autoMerge: null },
    attributes,
    blocking: DEFAULT_BLOCKING,
    clustering: { maxClusterSize: 50, minPairProbability: 0.0001 },
    ...overrides,
  });
}
