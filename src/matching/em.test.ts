import { describe, expect, it } from 'vitest';
import { ATTRIBUTES } from './attributes.js';
import { levelNames } from './comparisons.js';
import { expectationMaximisation, patternsOf } from './em.js';
import type { MatchField, MatchRecord } from './fields.js';
import { prepareRecord } from './prepare.js';
import { mulberry32 } from './random.js';
import { trainModel } from './train.js';

/** Draws an index from a discrete distribution. */
function draw(random: () => number, probabilities: readonly number[]): number {
  let x = random();
  for (let i = 0; i < probabilities.length; i++) {
    x -= probabilities[i]!;
    if (x < 0) return i;
  }
  return probabilities.length - 1;
}

describe('expectation–maximisation', () => {
  it('recovers m and the match share from comparison vectors drawn with known parameters (u given)', () => {
    // Three attributes, levels [missing, exact, close, different].
    const lambda = 0.2;
    const m = [
      [0, 0.85, 0.1, 0.05],
      [0, 0.7, 0.2, 0.1],
      [0, 0.9, 0.05, 0.05],
    ];
    const u = [
      [0, 0.02, 0.08, 0.9],
      [0, 0.05, 0.15, 0.8],
      [0, 0.01, 0.04, 0.95],
    ];
    const random = mulberry32(7);
    const pairs = 20_000;
    const vectors = new Uint8Array(pairs * 3);
    for (let p = 0; p < pairs; p++) {
      const match = random() < lambda;
      for (let k = 0; k < 3; k++) vectors[p * 3 + k] = random() < 0.05 ? 0 : draw(random, (match ? m : u)[k]!);
    }
    const attributes = [0, 1, 2];
    const start = [0, 1, 2].map(() => Float64Array.from([0, 0.5, 0.25, 0.25]));
    const result = expectationMaximisation(patternsOf(vectors, 3, attributes, Array.from({ length: pairs }, (_, p) => p)), {
      m: start,
      u: u.map((row) => Float64Array.from(row)),
      levelCounts: [4, 4, 4],
      attributes,
      fixM: false,
    });
    expect(Math.abs(result.lambda - lambda)).toBeLessThan(0.01);
    result.m.forEach((row, k) => row!.forEach((value, l) => expect(Math.abs(value - m[k]![l]!), `m[${k}][${l}]`).toBeLessThan(0.02)));
  });

  it('leaves m alone with fixM and estimates only the match share', () => {
    const patterns = [
      { levels: Uint8Array.from([1]), count: 30 },
      { levels: Uint8Array.from([2]), count: 70 },
    ];
    const result = expectationMaximisation(patterns, { m: [Float64Array.from([0, 1, 0])], u: [Float64Array.from([0, 0, 1])], levelCounts: [3], attributes: [0], fixM: true });
    expect(result.m[0]).toEqual(Float64Array.from([0, 1, 0]));
    expect(result.lambda).toBeCloseTo(0.3, 5);
  });
});

describe('training on unlabelled records', () => {
  /** People with known value distributions, and duplicates with known change rates: the true m and u are known. */
  function population(): { records: MatchRecord[]; truth: { m: Partial<Record<MatchField, number>>; u: Partial<Record<MatchField, number>> } } {
    const random = mulberry32(42);
    const word = () => Array.from({ length: 7 }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('');
    const firstNames = Array.from({ length: 40 }, word);
    const lastNames = Array.from({ length: 80 }, word);
    const states = ['nsw', 'vic', 'qld', 'wa', 'sa', 'tas', 'act', 'nt'];
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const records: MatchRecord[] = [];
    const keep = { firstName: 0.8, lastName: 0.9, state: 0.95, birthDate: 0.9 };
    for (let person = 0; person < 1_500; person++) {
      const day = new Date(Date.UTC(1940, 0, 1) + Math.floor(random() * 60 * 365) * 86_400_000).toISOString().slice(0, 10);
      const original = { firstName: pick(firstNames), lastName: pick(lastNames), state: pick(states), birthDate: day, nationalId: String(1_000_000 + person * 7) };
      records.push({ id: `p${person}`, values: original });
      if (person % 2 === 1) continue;
      const changed = (field: keyof typeof keep, other: () => string) => (random() < keep[field] ? original[field] : other());
      records.push({
        id: `p${person}-dup`,
        values: {
          firstName: changed('firstName', () => pick(firstNames.filter((n) => n !== original.firstName))),
          lastName: changed('lastName', () => pick(lastNames.filter((n) => n !== original.lastName))),
          state: changed('state', () => pick(states.filter((s) => s !== original.state))),
          birthDate: changed('birthDate', () => '1900-01-01'),
          nationalId: original.nationalId,
        },
      });
    }
    return { records, truth: { m: keep, u: { firstName: 1 / 40, lastName: 1 / 80, state: 1 / 8 } } };
  }

  it('estimates u from random pairs and m by EM close to the values the data was made with', () => {
    const { records, truth } = population();
    const { model } = trainModel(
      records.map((r) => prepareRecord(r, { defaultRegion: 'AU' })),
      { name: 'synthetic', description: 'test population', now: new Date('2026-12-01T00:00:00Z') },
    );
    const exact = (field: MatchField, which: 'm' | 'u') => model.attributes[field]!.levels.find((l) => l.level === 'exact')![which]!;
    for (const [field, u] of Object.entries(truth.u) as [MatchField, number][]) expect(Math.abs(exact(field, 'u') - u) / u, `u ${field}`).toBeLessThan(0.15);
    for (const [field, m] of Object.entries(truth.m) as [MatchField, number][]) expect(Math.abs(exact(field, 'm') - m), `m ${field}`).toBeLessThan(0.04);
    // 750 duplicate pairs among 2,250 records
    const prior = 750 / ((2_250 * 2_249) / 2);
    expect(Math.abs(model.prior.matchProbability - prior) / prior).toBeLessThan(0.1);
    expect(model.attributes.firstName!.levels.map((l) => l.level)).toEqual(levelNames(ATTRIBUTES.firstName));
  });

  it('reads no label: the model is the same whatever the record ids say', () => {
    const { records } = population();
    const options = { name: 'synthetic', description: 'test population', now: new Date('2026-12-01T00:00:00Z') };
    const relabelled = records.map((r, i) => ({ ...r, id: `row${i}` }));
    const a = trainModel(records.map((r) => prepareRecord(r, { defaultRegion: 'AU' })), options).model;
    const b = trainModel(relabelled.map((r) => prepareRecord(r, { defaultRegion: 'AU' })), options).model;
    expect(b).toEqual(a);
  });
});
