import doubleMetaphone from 'talisman/phonetics/double-metaphone.js';
import { normalizeIdentity } from '../../connectors/resolution/normalize.js';
import { DEFAULT_BLOCKLIST } from '../identity/identityRules.js';
import type { Blocklist } from '../identity/identityRules.js';
import { ATTRIBUTES } from './attributes.js';
import { parseDate } from './dates.js';
import type { DateParts } from './dates.js';
import { MATCH_FIELDS } from './fields.js';
import type { MatchField, MatchRecord, RawValue } from './fields.js';

/** One normalized value, with what its comparisons need computed once. */
export interface PreparedValue {
  readonly text: string;
  /** Double Metaphone codes (primary, alternate), for attributes with a phonetic level. */
  readonly phonetic?: readonly [string, string] | undefined;
  readonly date?: DateParts | undefined;
  /** An email's part before `@`. */
  readonly local?: string | undefined;
}

/** Per attribute (in MATCH_FIELDS order) its distinct values, or undefined when it has none. */
export interface PreparedRecord {
  readonly id: string;
  readonly source: string;
  readonly fields: ReadonlyArray<readonly PreparedValue[] | undefined>;
}

export interface PrepareOptions {
  /** Region for phone numbers written without a country code, as `identify` uses it. */
  readonly defaultRegion: string;
  /** Placeholders (`n/a`, `unknown`, `0`) that count as missing, as they never link in `identify`. */
  readonly blocklist?: Blocklist | undefined;
}

/** Longest value compared; the rest is cut (identify refuses identifiers past this length). */
const MAX_VALUE_LENGTH = 256;

export const FIELD_INDEX: Readonly<Record<MatchField, number>> = Object.fromEntries(MATCH_FIELDS.map((field, i) => [field, i])) as Record<MatchField, number>;

/**
 * Normalizes a record the way the deterministic engine normalizes
 * identifiers (emails trimmed and lower-cased, phones to E.164 with
 * libphonenumber-js), and free text for comparison: accents folded, lower
 * case, punctuation as spaces. A value `identify` would refuse (an email
 * with a typo, a phone libphonenumber rejects) is still compared, as typed
 * (lower-cased) or as its digits, so a typo costs agreement, not the value.
 */
export function prepareRecord(record: MatchRecord, options: PrepareOptions): PreparedRecord {
  const blocklist = options.blocklist ?? DEFAULT_BLOCKLIST;
  const fields = MATCH_FIELDS.map((field) => prepareField(field, record.values[field], options, blocklist));
  return { id: record.id, source: record.source ?? '', fields };
}

function prepareField(field: MatchField, raw: RawValue, options: PrepareOptions, blocklist: Blocklist): PreparedValue[] | undefined {
  if (raw === null || raw === undefined) return undefined;
  const values: PreparedValue[] = [];
  const seen = new Set<string>();
  for (const one of typeof raw === 'string' ? [raw] : raw) {
    const trimmed = one.trim().slice(0, MAX_VALUE_LENGTH);
    if (trimmed.length === 0 || isPlaceholder(blocklist, trimmed)) continue;
    const value = prepareValue(field, trimmed, options);
    if (value && value.text.length > 0 && !isPlaceholder(blocklist, value.text) && !seen.has(value.text)) {
      seen.add(value.text);
      values.push(value);
    }
  }
  return values.length > 0 ? values : undefined;
}

function isPlaceholder(blocklist: Blocklist, value: string): boolean {
  const lower = value.toLowerCase();
  return blocklist.values.includes(lower) || blocklist.patterns.some((pattern) => pattern.test(lower));
}

function prepareValue(field: MatchField, value: string, options: PrepareOptions): PreparedValue | undefined {
  const spec = ATTRIBUTES[field];
  switch (spec.kind) {
    case 'name':
    case 'text':
    case 'category': {
      const text = foldText(value);
      return spec.phonetic ? { text, phonetic: phoneticCodes(text) } : { text };
    }
    case 'code':
      return { text: foldText(value).replace(/ /g, '') };
    case 'identifier':
      return { text: value.toUpperCase().replace(/[\s\-./]/g, '') };
    case 'email': {
      const normalized = normalizeIdentity('EMAIL', value, options);
      const text = normalized.ok ? normalized.key.value : value.toLowerCase().replace(/\s+/g, '');
      return { text, local: text.split('@')[0] ?? text };
    }
    case 'phone': {
      const normalized = normalizeIdentity('PHONE', value, options);
      if (normalized.ok) return { text: normalized.key.value };
      const digits = value.replace(/\D/g, '');
      return digits.length >= 4 ? { text: digits } : undefined;
    }
    case 'date': {
      const parsed = parseDate(value);
      return parsed ? { text: parsed.text, date: parsed.parts } : undefined;
    }
  }
}

/** Accents folded, lower case, apostrophes dropped, other punctuation as single spaces. */
export function foldText(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

function phoneticCodes(text: string): readonly [string, string] | undefined {
  const [primary, alternate] = doubleMetaphone(text.replace(/ /g, ''));
  return primary.length > 0 ? [primary, alternate.length > 0 ? alternate : primary] : undefined;
}
