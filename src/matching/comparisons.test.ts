import { describe, expect, it } from 'vitest';
import { ATTRIBUTES } from './attributes.js';
import { comparatorFor, levelNames } from './comparisons.js';
import type { MatchField, RawValue } from './fields.js';
import { prepareRecord } from './prepare.js';

/** The level two values reach on one attribute (other attributes empty, except those a row gives). */
function level(field: MatchField, left: RawValue, right: RawValue, extra: { left?: Partial<Record<MatchField, RawValue>>; right?: Partial<Record<MatchField, RawValue>> } = {}): string {
  const a = prepareRecord({ id: 'a', values: { ...extra.left, [field]: left } }, { defaultRegion: 'AU' });
  const b = prepareRecord({ id: 'b', values: { ...extra.right, [field]: right } }, { defaultRegion: 'AU' });
  return levelNames(ATTRIBUTES[field])[comparatorFor(field)(a, b)]!;
}

describe('comparison levels', () => {
  it.each([
    // names: folded before comparing
    ['firstName', 'Jon', ' jon ', 'exact'],
    ['firstName', 'José', 'jose', 'exact'],
    ['lastName', "O'Connell", 'oconnell', 'exact'],
    ['firstName', 'jon', 'john', 'oneEdit'],
    ['firstName', 'martha', 'marhta', 'oneEdit'],
    ['firstName', 'alexandrina', 'alexandra', 'jaroWinkler92'],
    ['firstName', 'stephen', 'steven', 'twoEdits'],
    ['firstName', 'abigail', 'abbigale', 'jaroWinkler80'],
    ['firstName', 'catherine', 'kathryn', 'phonetic'],
    ['lastName', 'smith', 'schmidt', 'phonetic'],
    ['firstName', 'alice', 'robert', 'different'],
    ['firstName', '', 'jon', 'missing'],
    ['firstName', 'jon', null, 'missing'],
    ['firstName', 'n/a', 'n/a', 'missing'],
    ['firstName', 'unknown', 'jon', 'missing'],
    // address parts
    ['city', 'North Ryde', 'north-ryde', 'exact'],
    ['street', 'pridham street', 'pridhamstreet', 'oneEdit'],
    ['postcode', '2119', '2191', 'oneEdit'],
    ['postcode', '2119', '3000', 'different'],
    ['streetNumber', '7', '7', 'exact'],
    ['state', 'NSW', 'nsw', 'exact'],
    ['state', 'nsw', 'vic', 'different'],
    // identifiers
    ['nationalId', '123-45-6789', '123456789', 'exact'],
    ['nationalId', '1804974', '1804947', 'oneEdit'],
    ['nationalId', '1804974', '1084947', 'twoEdits'],
    ['nationalId', '1804974', '5087622', 'different'],
    ['email', ' Jon.Smith@Example.com', 'jon.smith@example.com', 'exact'],
    ['email', 'jon.smith@example.com', 'jon.smith@mail.example.net', 'sameLocalPart'],
    ['email', 'jon.smith@example.com', 'jon.smiht@example.com', 'oneEdit'],
    ['email', 'jon.smith12@example.com', 'jon.smith47@example.com', 'different'],
    ['email', 'jon.smith@example.com', 'ann.lee@example.org', 'different'],
    ['email', ['old@example.com', 'jon.smith@example.com'], 'jon.smith@example.com', 'exact'],
    ['phone', '0412 345 678', '+61412345678', 'exact'],
    ['phone', '+61 412 345 678', '+61412345679', 'oneEdit'],
    ['phone', '+61412345678', '+61298765432', 'different'],
    // dates in the formats an outside file may use
    ['birthDate', '19560409', '1956-04-09', 'exact'],
    ['birthDate', '09/04/1956', '19560409', 'exact'],
    ['birthDate', '04/29/1956', '1956-04-29', 'exact'],
    ['birthDate', '1956-04-09T00:00:00Z', '1956-04-09', 'exact'],
    ['birthDate', '09/04/1956 00:00:00', '1956-04-09', 'exact'],
    ['birthDate', '1956-04-09', '1956-09-04', 'dayMonthSwapped'],
    ['birthDate', '1956-04-09', '1957-04-09', 'oneFieldOff'],
    ['birthDate', '1956-04-09', '1956-04-19', 'oneFieldOff'],
    ['birthDate', '195604O9', '19560409', 'oneFieldOff'],
    ['birthDate', '17/12/194i', '1942-12-17', 'oneFieldOff'],
    ['birthDate', '1956-4-9', '19560409', 'exact'],
    ['birthDate', 'unknown', '19560409', 'missing'],
    ['birthDate', 'sometime', '19560409', 'different'],
    ['birthDate', '1956-04-09', '1958-07-01', 'withinFiveYears'],
    ['birthDate', '1956-04-09', '1980-01-01', 'different'],
    ['birthDate', '', '1980-01-01', 'missing'],
  ] as const)('%s: %j vs %j is %s', (field, left, right, expected) => {
    expect(level(field, left, right)).toBe(expected);
    expect(level(field, right, left)).toBe(expected);
  });

  it('gives given name and surname written the other way round their own level', () => {
    const swappedLeft = { left: { lastName: 'smith' }, right: { lastName: 'jon' } };
    expect(level('firstName', 'jon', 'smith', swappedLeft)).toBe('swapped');
    expect(level('lastName', 'smith', 'jon', { left: { firstName: 'jon' }, right: { firstName: 'smith' } })).toBe('swapped');
    // a first name equal to the other's surname alone is no swap when the direct comparison already says more
    expect(level('firstName', 'jon', 'john', swappedLeft)).toBe('oneEdit');
  });

  it('lists missing first and different last for every attribute', () => {
    for (const spec of Object.values(ATTRIBUTES)) {
      const names = levelNames(spec);
      expect([names[0], names.at(-1)]).toEqual(['missing', 'different']);
    }
  });
});
