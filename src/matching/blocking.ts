import type { BlockingRule } from './model.js';
import { FIELD_INDEX } from './prepare.js';
import type { PreparedRecord, PreparedValue } from './prepare.js';

/**
 * Blocking: only records that agree on every key part of at least one rule
 * are compared. The rules' candidates are united, and each candidate
 * remembers which rules produced it (training estimates an attribute's m
 * only from rules that do not block on it).
 */
export interface CandidatePairs {
  /** Record indices, pair p is (left[p], right[p]) with left < right. */
  readonly left: Uint32Array;
  readonly right: Uint32Array;
  /** Bit r set: rule r produced the pair. */
  readonly rules: Uint32Array;
  readonly count: number;
  /** Blocks over `maxBlockSize` that were not compared, per rule name. */
  readonly skippedBlocks: Readonly<Record<string, number>>;
}

export interface BlockingOptions {
  readonly maxBlockSize: number;
  /** Compare only records of different sources. */
  readonly linkOnly: boolean;
}

/** At most 32 rules (the rule mask is 32 bits); more would say little the first 32 do not. */
export const MAX_BLOCKING_RULES = 32;

function partValues(rulePart: BlockingRule['keys'][number], record: PreparedRecord): string[] {
  const values: readonly PreparedValue[] = record.fields[FIELD_INDEX[rulePart.field]] ?? [];
  switch (rulePart.transform) {
    case 'value':
      return values.map((v) => v.text);
    case 'phonetic':
      return values.flatMap((v) => (v.phonetic ? [v.phonetic[0]] : []));
    case 'year':
      return values.flatMap((v) => (v.date ? [String(v.date.year)] : []));
    case 'initial':
      return values.map((v) => v.text[0]!);
  }
}

/** The keys a record has under one rule (one per combination of its values); none when a part is missing. */
export function blockingKeys(rule: BlockingRule, record: PreparedRecord): string[] {
  let combinations: string[][] = [[]];
  for (const part of rule.keys) {
    const values = [...new Set(partValues(part, record))];
    if (values.length === 0) return [];
    combinations = combinations.flatMap((combination) => values.map((value) => [...combination, value]));
  }
  const keys = combinations.map((combination) => (rule.unordered ? [...combination].sort() : combination).join('\u0001'));
  return [...new Set(keys)];
}

/** Every pair the rules let through, each once. */
export function candidatePairs(records: readonly PreparedRecord[], rules: readonly BlockingRule[], options: BlockingOptions): CandidatePairs {
  if (rules.length > MAX_BLOCKING_RULES) throw new RangeError(`at most ${MAX_BLOCKING_RULES} blocking rules`);
  const n = records.length;
  const masks = new Map<number, number>();
  const skippedBlocks: Record<string, number> = {};
  rules.forEach((rule, r) => {
    const bit = 1 << r;
    for (const block of blocksOf(records, rule).values()) {
      if (block.length < 2) continue;
      if (block.length > options.maxBlockSize) {
        skippedBlocks[rule.name] = (skippedBlocks[rule.name] ?? 0) + 1;
        continue;
      }
      for (let x = 0; x < block.length; x++) {
        for (let y = x + 1; y < block.length; y++) {
          const i = block[x]!;
          const j = block[y]!;
          if (options.linkOnly && records[i]!.source === records[j]!.source) continue;
          const key = i < j ? i * n + j : j * n + i;
          masks.set(key, (masks.get(key) ?? 0) | bit);
        }
      }
    }
  });
  const left = new Uint32Array(masks.size);
  const right = new Uint32Array(masks.size);
  const ruleMasks = new Uint32Array(masks.size);
  let p = 0;
  for (const [key, mask] of masks) {
    left[p] = Math.floor(key / n);
    right[p] = key % n;
    ruleMasks[p] = mask >>> 0;
    p++;
  }
  return { left, right, rules: ruleMasks, count: masks.size, skippedBlocks };
}

function blocksOf(records: readonly PreparedRecord[], rule: BlockingRule): Map<string, number[]> {
  const blocks = new Map<string, number[]>();
  records.forEach((record, i) => {
    for (const key of blockingKeys(rule, record)) {
      const block = blocks.get(key);
      if (block) block.push(i);
      else blocks.set(key, [i]);
    }
  });
  return blocks;
}

/** Pairs that could be compared at all: every pair, or with linkOnly every pair across sources. */
export function comparablePairs(records: readonly PreparedRecord[], linkOnly: boolean): number {
  const n = records.length;
  const all = (n * (n - 1)) / 2;
  if (!linkOnly) return all;
  const perSource = new Map<string, number>();
  for (const record of records) perSource.set(record.source, (perSource.get(record.source) ?? 0) + 1);
  return [...perSource.values()].reduce((rest, size) => rest - (size * (size - 1)) / 2, all);
}
