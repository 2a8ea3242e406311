import { describe, expect, it } from 'vitest';
import { pairCounts, pairScores } from './pairMetrics.js';

describe('pair metrics', () => {
  it('counts unordered pairs placed in one cluster against pairs with one label', () => {
    // truth: {0,1,2} {3,4} {5}; predicted: {0,1} {2,3} {4} {5}
    const counts = pairCounts([0, 0, 2, 2, 4, 5], ['p', 'p', 'p', 'q', 'q', 'r']);
    expect(counts).toEqual({ truePairs: 4, predictedPairs: 2, correctPairs: 1 });
    expect(pairScores(counts)).toEqual({ ...counts, precision: 0.5, recall: 0.25, f1: 1 / 3 });
  });

  it('counts only pairs across sides for linkage', () => {
    // one cluster of A1, A2, B1: across sides A1–B1 and A2–B1; truth: A1 and B1 are one person
    expect(pairCounts(['c', 'c', 'c'], ['x', 'y', 'x'], ['A', 'A', 'B'])).toEqual({ truePairs: 1, predictedPairs: 2, correctPairs: 1 });
  });

  it('calls nothing predicted perfectly precise and nothing to find perfectly recalled', () => {
    expect(pairScores({ truePairs: 0, predictedPairs: 0, correctPairs: 0 })).toEqual({ truePairs: 0, predictedPairs: 0, correctPairs: 0, precision: 1, recall: 1, f1: 1 });
  });
});
