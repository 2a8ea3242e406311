import damerauLevenshtein from 'talisman/metrics/damerau-levenshtein.js';
import jaroWinkler from 'talisman/metrics/jaro-winkler.js';
import { ATTRIBUTES } from './attributes.js';
import type { AttributeSpec } from './attributes.js';
import { yearsApart } from './dates.js';
import type { MatchField } from './fields.js';
import { FIELD_INDEX } from './prepare.js';
import type { PreparedRecord, PreparedValue } from './prepare.js';

/**
 * Comparison levels per attribute, strongest first. A pair of records gets,
 * for each attribute, the first level its values satisfy (for attributes with
 * several values, the strongest level over all value pairs). `missing` (the
 * value is absent on either side) is a level of its own and always first;
 * the last level is "none of the above".
 *
 * | level | holds when |
 * | --- | --- |
 * | `exact` | the normalized values are equal |
 * | `oneEdit`, `twoEdits` | Damerau–Levenshtein distance at most 1 / 2 (a typo, a transposition) |
 * | `jaroWinkler92`, `jaroWinkler80` | Jaro–Winkler similarity at least 0.92 / 0.80 |
 * | `phonetic` | a Double Metaphone code in common |
 * | `swapped` | given name and surname written the other way round |
 * | `sameLocalPart` | emails with one local part at different domains |
 * | `dayMonthSwapped` | same year, day and month exchanged |
 * | `oneFieldOff` | two of year, month, day agree (or, for a date that did not parse, one edit apart) |
 * | `withinFiveYears` | both parsed and at most five years apart |
 * | `different` | none of the above |
 */
export const MISSING = 0;

const STRING_LEVELS = ['exact', 'oneEdit', 'jaroWinkler92', 'twoEdits', 'jaroWinkler80'] as const;

export function levelNames(spec: AttributeSpec): readonly string[] {
  const body = ((): readonly string[] => {
    switch (spec.kind) {
      case 'name':
      case 'text':
        return [...STRING_LEVELS, ...(spec.phonetic ? ['phonetic'] : []), ...(spec.swapWith ? ['swapped'] : [])];
      case 'code':
      case 'phone':
        return ['exact', 'oneEdit'];
      case 'identifier':
        return ['exact', 'oneEdit', 'twoEdits'];
      case 'category':
        return ['exact'];
      case 'email':
        return ['exact', 'sameLocalPart', 'oneEdit'];
      case 'date':
        return ['exact', 'dayMonthSwapped', 'oneFieldOff', 'withinFiveYears'];
    }
  })();
  return ['missing', ...body, 'different'];
}

/** The level index (into levelNames) of one attribute for a pair of records. */
export type Comparator = (a: PreparedRecord, b: PreparedRecord) => number;

export function comparatorFor(field: MatchField): Comparator {
  const spec = ATTRIBUTES[field];
  const names = levelNames(spec);
  const index = FIELD_INDEX[field];
  const different = names.length - 1;
  const valueLevel = valueComparator(spec, names);
  const swapped = spec.swapWith ? names.indexOf('swapped') : -1;
  const other = spec.swapWith ? FIELD_INDEX[spec.swapWith] : -1;
  return (a, b) => {
    const left = a.fields[index];
    const right = b.fields[index];
    if (!left || !right) return MISSING;
    let best = different;
    for (const x of left) {
      for (const y of right) {
        const level = valueLevel(x, y);
        if (level < best) best = level;
        if (best === 1) return best;
      }
    }
    if (best === different && swapped > 0 && (sharesText(left, b.fields[other]) || sharesText(right, a.fields[other]))) return swapped;
    return best;
  };
}

function sharesText(values: readonly PreparedValue[], others: readonly PreparedValue[] | undefined): boolean {
  return others !== undefined && values.some((v) => others.some((o) => o.text === v.text));
}

/** Level of one value pair; never `missing`, at worst `different`. */
function valueComparator(spec: AttributeSpec, names: readonly string[]): (x: PreparedValue, y: PreparedValue) => number {
  const at = (name: string) => names.indexOf(name);
  const different = names.length - 1;
  switch (spec.kind) {
    case 'name':
    case 'text': {
      const phonetic = at('phonetic');
      return (x, y) => {
        if (x.text === y.text) return 1;
        const edits = damerauLevenshtein.limited(2, x.text, y.text);
        if (edits <= 1) return 2;
        const similarity = jaroWinkler(x.text, y.text);
        if (similarity >= 0.92) return 3;
        if (edits <= 2) return 4;
        if (similarity >= 0.8) return 5;
        if (phonetic > 0 && soundAlike(x, y)) return phonetic;
        return different;
      };
    }
    case 'code':
    case 'phone':
    case 'identifier':
      return (x, y) => {
        if (x.text === y.text) return 1;
        const edits = damerauLevenshtein.limited(2, x.text, y.text);
        return edits < different ? edits + 1 : different;
      };
    case 'category':
      return (x, y) => (x.text === y.text ? 1 : different);
    case 'email':
      // Not Jaro–Winkler: addresses made from a name (jon.smith12@, jon.smith47@) are alike for every namesake.
      return (x, y) => {
        if (x.text === y.text) return 1;
        if (x.local && x.local === y.local) return 2;
        return damerauLevenshtein.limited(1, x.text, y.text) <= 1 ? 3 : different;
      };
    case 'date':
      return dateLevel;
  }
}

function soundAlike(x: PreparedValue, y: PreparedValue): boolean {
  if (!x.phonetic || !y.phonetic) return false;
  return x.phonetic.some((code) => y.phonetic!.includes(code));
}

/** exact 1, dayMonthSwapped 2, oneFieldOff 3, withinFiveYears 4, different 5. */
function dateLevel(x: PreparedValue, y: PreparedValue): number {
  if (x.text === y.text) return 1;
  const p = x.date;
  const q = y.date;
  if (p && q) {
    if (p.year === q.year && p.month === q.day && p.day === q.month) return 2;
    const agreeing = Number(p.year === q.year) + Number(p.month === q.month) + Number(p.day === q.day);
    if (agreeing === 2) return 3;
    return yearsApart(p, q) <= 5 ? 4 : 5;
  }
  return damerauLevenshtein.limited(1, x.text.replace(/-/g, ''), y.text.replace(/-/g, '')) <= 1 ? 3 : 5;
}
