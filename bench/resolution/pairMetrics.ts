/**
 * Precision, recall and F1 over unordered pairs of records: a predicted
 * pair is two records placed in one cluster, a true pair two records with
 * one label. With sides (linkage A × B), only pairs across sides count.
 */
export interface PairCounts {
  readonly truePairs: number;
  readonly predictedPairs: number;
  readonly correctPairs: number;
}

export interface PairScores extends PairCounts {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export function pairCounts(predicted: ArrayLike<number | string>, truth: readonly string[], sides?: readonly string[]): PairCounts {
  const count = truth.length;
  const indices = Array.from({ length: count }, (_, i) => i);
  const pairsIn = (members: readonly number[]) => {
    if (!sides) return (members.length * (members.length - 1)) / 2;
    const perSide = groupBy(members, (i) => sides[i]!);
    const squares = [...perSide.values()].reduce((sum, group) => sum + group.length ** 2, 0);
    return (members.length ** 2 - squares) / 2;
  };
  let predictedPairs = 0;
  let correctPairs = 0;
  for (const members of groupBy(indices, (i) => String(predicted[i])).values()) {
    predictedPairs += pairsIn(members);
    for (const same of groupBy(members, (i) => truth[i]!).values()) correctPairs += pairsIn(same);
  }
  let truePairs = 0;
  for (const members of groupBy(indices, (i) => truth[i]!).values()) truePairs += pairsIn(members);
  return { truePairs, predictedPairs, correctPairs };
}

export function pairScores(counts: PairCounts): PairScores {
  const precision = counts.predictedPairs === 0 ? 1 : counts.correctPairs / counts.predictedPairs;
  const recall = counts.truePairs === 0 ? 1 : counts.correctPairs / counts.truePairs;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { ...counts, precision, recall, f1 };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
