import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEBRL_DIR, entityOf, readFebrl } from '../bench/resolution/febrl.js';

describe('the FEBRL data sets in bench/data/febrl', () => {
  it('are the published files, byte for byte', () => {
    const sha256 = (file: string) => createHash('sha256').update(readFileSync(`${FEBRL_DIR}${file}`)).digest('hex');
    expect({ dataset3: sha256('dataset3.csv'), dataset4a: sha256('dataset4a.csv'), dataset4b: sha256('dataset4b.csv') }).toEqual({
      dataset3: '0e667330458ae88dd3d6b9cab39af4e7629a2fef98a810d0ea5f15e48220bdbf',
      dataset4a: '07c7cb3f0a8d88180e80317f2a60499dee4e8324a44c38059f4e7fed0a8b4488',
      dataset4b: '2eed76c99fa2237be3ec013a123427926d4158abcb3a8f65874d6c7f1358cf2c',
    });
  });

  it('read as FEBRL 3 (2,000 people, 3,000 duplicates, at most 5 per person) and FEBRL 4 (one duplicate in B per record of A)', () => {
    const three = readFebrl('dataset3');
    const sizes = new Map<string, number>();
    for (const person of three.clusters) sizes.set(person, (sizes.get(person) ?? 0) + 1);
    expect({ records: three.records.length, people: sizes.size, largest: Math.max(...sizes.values()), warnings: three.warnings }).toEqual({ records: 5_000, people: 2_000, largest: 6, warnings: [] });
    const a = readFebrl('dataset4a', 'A');
    const b = readFebrl('dataset4b', 'B');
    expect({ a: a.records.length, b: b.records.length, warnings: [...a.warnings, ...b.warnings] }).toEqual({ a: 5_000, b: 5_000, warnings: [] });
    expect([...b.clusters].sort()).toEqual([...a.clusters].sort());
    expect(three.records[0]).toEqual({
      id: 'rec-1496-org',
      source: undefined,
      values: { firstName: 'mitchell', lastName: 'green', streetNumber: '7', street: 'wallaby place', locality: 'delmar', city: 'cleveland', postcode: '2119', state: 'sa', birthDate: '19560409', nationalId: '1804974' },
    });
    expect(entityOf('rec-552-dup-3')).toBe('552');
  });
});
