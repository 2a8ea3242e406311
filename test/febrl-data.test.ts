import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEBRL3, entityOf, febrlFiles, fromCsv } from '../bench/febrl/generate.js';

describe('the FEBRL-style data sets in bench/data', () => {
  const files = febrlFiles();
  const committed = (name: string) => readFileSync(new URL(`../bench/data/${name}.csv`, import.meta.url), 'utf8');

  it('are what the generator writes for their seeds, so the evaluation figures can be reproduced from a clean clone', () => {
    expect({ febrl3: committed('febrl3'), febrl4a: committed('febrl4a'), febrl4b: committed('febrl4b') }).toEqual(files);
  });

  it('have FEBRL 3’s shape: 2,000 originals, 3,000 duplicates, at most 5 per original', () => {
    const records = fromCsv(files.febrl3);
    const duplicates = records.filter((r) => r.rec_id.includes('-dup-'));
    const perOriginal = new Map<string, number>();
    for (const r of duplicates) perOriginal.set(entityOf(r.rec_id), (perOriginal.get(entityOf(r.rec_id)) ?? 0) + 1);
    expect({ records: records.length, duplicates: duplicates.length, most: Math.max(...perOriginal.values()) }).toEqual({
      records: FEBRL3.originals + FEBRL3.duplicates,
      duplicates: FEBRL3.duplicates,
      most: FEBRL3.maxDuplicatesPerOriginal,
    });
  });

  it('have FEBRL 4’s shape: each original in A has exactly one duplicate in B', () => {
    const a = fromCsv(files.febrl4a);
    const b = fromCsv(files.febrl4b);
    expect(b.map((r) => entityOf(r.rec_id)).sort()).toEqual(a.map((r) => entityOf(r.rec_id)).sort());
    expect(new Set(b.map((r) => r.rec_id.replace(/^rec-\d+-/, '')))).toEqual(new Set(['dup-0']));
  });
});
