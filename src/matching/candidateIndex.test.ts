import { describe, expect, it } from 'vitest';
import { CandidateIndex } from './candidateIndex.js';
import { FIELD_INDEX, prepareRecord } from './prepare.js';
import { loadMatchModel } from './modelFile.js';
import type { MatchRecord } from './fields.js';

const compiled = loadMatchModel();
const prepare = (record: MatchRecord) => prepareRecord(record, { defaultRegion: 'US' });
const person = (id: string, firstName: string, lastName: string, birthDate: string) => prepare({ id, values: { firstName, lastName, birthDate } });

describe('CandidateIndex', () => {
  it('finds the records that share a blocking key, as batch blocking pairs them', () => {
    const index = new CandidateIndex(compiled);
    index.put(person('a', 'Ada', 'Lindqvist', '1979-05-21'));
    index.put(person('b', 'Ada', 'Lindquist', '1979-05-21')); // firstName+birthDate
    index.put(person('c', 'Lindqvist', 'Ada', '1950-01-01')); // firstName+lastName in either order
    index.put(person('d', 'Bo', 'Berg', '1990-02-02'));
    expect(index.candidates('a').map((r) => r.id).sort()).toEqual(['b', 'c']);
    expect(index.candidates('d')).toEqual([]);
    expect(index.candidates('unknown')).toEqual([]);
  });

  it('tells an unchanged record from a changed one, and forgets a removed one with its term counts', () => {
    const index = new CandidateIndex(compiled);
    expect(index.put(person('a', 'Ada', 'Lindqvist', '1979-05-21'))).toBe('added');
    expect(index.put(person('a', 'Ada', 'Lindqvist', '1979-05-21'))).toBe('unchanged');
    index.put(person('b', 'Ada', 'Berg', '1979-05-21'));
    expect(index.frequencies.frequency(FIELD_INDEX.firstName, 'ada')).toBe(1);
    expect(index.put(person('a', 'Eda', 'Lindqvist', '1979-05-21'))).toBe('changed');
    expect(index.frequencies.frequency(FIELD_INDEX.firstName, 'ada')).toBe(0.5);
    index.remove('b');
    expect(index.frequencies.frequency(FIELD_INDEX.firstName, 'ada')).toBeUndefined();
    expect({ size: index.size, b: index.has('b'), candidates: index.candidates('a') }).toEqual({ size: 1, b: false, candidates: [] });
  });

  it('refuses a new record past its capacity, but still updates the ones it holds', () => {
    const index = new CandidateIndex(compiled, 1);
    expect(index.put(person('a', 'Ada', 'Lindqvist', '1979-05-21'))).toBe('added');
    expect(index.put(person('b', 'Ada', 'Lindquist', '1979-05-21'))).toBe('full');
    expect(index.put(person('a', 'Ada', 'Lindquist', '1979-05-21'))).toBe('changed');
    expect(index.size).toBe(1);
  });
});
