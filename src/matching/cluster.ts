/**
 * Clustering scored pairs into people. Links at or above the threshold are
 * taken strongest first; each joins the two groups its records are in,
 * unless the join is refused by the chain guard:
 *
 * - the joined group would hold more than `maxClusterSize` records, or
 * - some pair of records across the two groups scores below
 *   `minPairProbability` (scored on demand when blocking never compared it).
 *
 * Plain transitive closure would let A–B and B–C put A with C however
 * different they are; the guard asks every member of a group to be at least
 * plausible with every other, so a chain of near neighbours cannot join
 * unrelated records.
 */
export interface Link {
  readonly left: number;
  readonly right: number;
  readonly probability: number;
}

export interface ClusterOptions {
  readonly threshold: number;
  readonly maxClusterSize: number;
  readonly minPairProbability: number;
  /** The match probability of any two records. */
  readonly probability: (left: number, right: number) => number;
}

export interface Clustering {
  /** Per record, the index of its group's representative (the smallest record index in the group). */
  readonly clusterOf: Int32Array;
  /** Links above the threshold that the guard refused. */
  readonly refused: number;
}

export function clusterRecords(count: number, links: readonly Link[], options: ClusterOptions): Clustering {
  const members: number[][] = Array.from({ length: count }, (_, i) => [i]);
  const groupOf = Int32Array.from({ length: count }, (_, i) => i);
  const strong = links.filter((link) => link.probability >= options.threshold).sort((a, b) => b.probability - a.probability || a.left - b.left || a.right - b.right);
  let refused = 0;
  for (const link of strong) {
    const a = groupOf[link.left]!;
    const b = groupOf[link.right]!;
    if (a === b) continue;
    const [big, small] = members[a]!.length >= members[b]!.length ? [a, b] : [b, a];
    if (!joinable(members[big]!, members[small]!, options)) {
      refused++;
      continue;
    }
    for (const record of members[small]!) {
      groupOf[record] = big;
      members[big]!.push(record);
    }
    members[small] = [];
  }
  const clusterOf = new Int32Array(count);
  for (const group of members) {
    if (group.length === 0) continue;
    const representative = Math.min(...group);
    for (const record of group) clusterOf[record] = representative;
  }
  return { clusterOf, refused };
}

function joinable(a: readonly number[], b: readonly number[], options: ClusterOptions): boolean {
  if (a.length + b.length > options.maxClusterSize) return false;
  for (const x of a) for (const y of b) if (options.probability(x, y) < options.minPairProbability) return false;
  return true;
}

/** Records grouped by cluster (singletons included), each group in record order. */
export function groupsOf(clustering: Clustering): number[][] {
  const groups = new Map<number, number[]>();
  clustering.clusterOf.forEach((representative, record) => {
    const group = groups.get(representative);
    if (group) group.push(record);
    else groups.set(representative, [record]);
  });
  return [...groups.values()];
}
