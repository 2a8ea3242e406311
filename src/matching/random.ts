import type { PreparedRecord } from './prepare.js';

/** Pairs of record indices (left < right). */
export interface PairList {
  readonly left: Uint32Array;
  readonly right: Uint32Array;
  readonly count: number;
}

/**
 * Pairs drawn at random (with replacement, from a seeded generator so that
 * training is repeatable), or every comparable pair when there are no more
 * than `count` of them.
 */
export function randomPairs(records: readonly PreparedRecord[], count: number, options: { linkOnly: boolean; seed: number }): PairList {
  const n = records.length;
  const comparable = (i: number, j: number) => i !== j && !(options.linkOnly && records[i]!.source === records[j]!.source);
  if ((n * (n - 1)) / 2 <= count) return everyPair(n, comparable);
  const next = mulberry32(options.seed);
  const left = new Uint32Array(count);
  const right = new Uint32Array(count);
  let drawn = 0;
  for (let attempts = 0; drawn < count && attempts < count * 20; attempts++) {
    const i = Math.floor(next() * n);
    const j = Math.floor(next() * n);
    if (!comparable(i, j)) continue;
    left[drawn] = Math.min(i, j);
    right[drawn] = Math.max(i, j);
    drawn++;
  }
  return { left: left.subarray(0, drawn), right: right.subarray(0, drawn), count: drawn };
}

function everyPair(n: number, comparable: (i: number, j: number) => boolean): PairList {
  const left: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (!comparable(i, j)) continue;
      left.push(i);
      right.push(j);
    }
  }
  return { left: Uint32Array.from(left), right: Uint32Array.from(right), count: left.length };
}

/** A small, well-known 32-bit generator (Tommy Ettinger's Mulberry32): repeatable draws, not cryptography. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
