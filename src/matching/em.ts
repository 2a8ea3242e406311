import { MISSING } from './comparisons.js';

/**
 * Expectation–maximisation for the Fellegi–Sunter mixture: each candidate
 * pair is a match with probability λ; given match, attribute k is at level
 * l with probability m[k][l], given non-match with u[k][l]; attributes are
 * independent given the class. u stays fixed (estimated from random pairs);
 * EM estimates λ and, unless `fixM`, m. Pairs are grouped by their level
 * vector over the trained attributes, so one iteration costs the number of
 * distinct patterns, not pairs.
 */
export interface Pattern {
  /** The pair's full level vector; only the session's attributes are read. */
  readonly levels: Uint8Array;
  readonly count: number;
}

export interface EmOptions {
  readonly m: ReadonlyArray<Float64Array>;
  readonly u: ReadonlyArray<Float64Array>;
  readonly levelCounts: readonly number[];
  /** Attribute indices the likelihood uses (and whose m is estimated). */
  readonly attributes: readonly number[];
  readonly fixM: boolean;
  readonly initialLambda?: number;
  readonly maxIterations?: number;
  /** Stop when no m or λ moved by more than this. */
  readonly tolerance?: number;
}

export interface EmResult {
  /** Estimated m for the session's attributes; undefined for the others (and the given m with fixM). */
  readonly m: ReadonlyArray<Float64Array | undefined>;
  readonly lambda: number;
  readonly iterations: number;
}

const FLOOR = 1e-6;

export function patternsOf(vectors: Uint8Array, width: number, attributes: readonly number[], members: Iterable<number>): Pattern[] {
  const byKey = new Map<string, { levels: Uint8Array; count: number }>();
  for (const p of members) {
    const levels = vectors.subarray(p * width, (p + 1) * width);
    let key = '';
    for (const k of attributes) key += String.fromCharCode(48 + levels[k]!);
    const pattern = byKey.get(key);
    if (pattern) pattern.count++;
    else byKey.set(key, { levels, count: 1 });
  }
  return [...byKey.values()];
}

export function expectationMaximisation(patterns: readonly Pattern[], options: EmOptions): EmResult {
  const { u, levelCounts, attributes, fixM } = options;
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.tolerance ?? 1e-7;
  let m = options.m.map((row) => Float64Array.from(row));
  let lambda = options.initialLambda ?? 0.3;
  const total = patterns.reduce((sum, p) => sum + p.count, 0);
  const logU = u.map((row) => row.map((x) => Math.log(Math.max(x, FLOOR))));
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    const logM = m.map((row) => row.map((x) => Math.log(Math.max(x, FLOOR))));
    const priorLogit = Math.log(lambda) - Math.log(1 - lambda);
    const expected = levelCounts.map((n) => new Float64Array(n));
    let matches = 0;
    for (const pattern of patterns) {
      let logit = priorLogit;
      for (const k of attributes) {
        const level = pattern.levels[k]!;
        if (level !== MISSING) logit += logM[k]![level]! - logU[k]![level]!;
      }
      const posterior = pattern.count / (1 + Math.exp(-logit));
      matches += posterior;
      for (const k of attributes) expected[k]![pattern.levels[k]!]! += posterior;
    }
    const nextLambda = Math.min(Math.max(matches / total, FLOOR), 1 - FLOOR);
    let moved = Math.abs(nextLambda - lambda);
    lambda = nextLambda;
    if (!fixM) {
      const next = m.map((row) => Float64Array.from(row));
      for (const k of attributes) {
        const row = expected[k]!;
        const present = row.reduce((sum, x, level) => (level === MISSING ? sum : sum + x), 0);
        if (present <= 0) continue;
        for (let l = 0; l < row.length; l++) {
          const value = l === MISSING ? 0 : row[l]! / present;
          moved = Math.max(moved, Math.abs(value - m[k]![l]!));
          next[k]![l] = value;
        }
      }
      m = next;
    }
    if (moved < tolerance) break;
  }
  const estimated = new Set(attributes);
  return { m: m.map((row, k) => (fixM || estimated.has(k) ? row : undefined)), lambda, iterations };
}
