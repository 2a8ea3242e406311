import { LRUCache } from 'lru-cache';
import { normalizeIdentity } from '../../connectors/resolution/normalize.js';
import type { Pseudonymize } from './pseudonym.js';

/**
 * What `mask` and `hash` do to a value (docs/privacy.md, "Masking and
 * hashing"). Strings are treated by their shape: an email keeps the first
 * letter of its local part and domain and its top-level domain, a phone
 * number keeps its last four digits, anything else keeps its first
 * character. Hashes are keyed pseudonyms (HMAC-SHA-256, src/privacy/pseudonym.ts)
 * of the normalized value (emails lower-cased, phones in E.164, other strings
 * trimmed): the same value gives the same pseudonym for one principal, so it
 * can be counted and matched, but nobody without the key can recompute it.
 */

/**
 * A redacted value for a custom scalar whose own format it cannot meet
 * (`1984-**-**` is not a Date). The scalars in resolvers/scalars.ts pass its
 * text through unchanged.
 */
export class RedactedText {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

/** How a field's GraphQL type carries a value; decides what mask and hash can produce. */
export type ValueShape = 'string' | 'date' | 'dateTime' | 'number' | 'json' | 'object' | 'other';

export interface RedactOptions {
  /** Region for phone numbers without a country code, as identity resolution uses it. */
  readonly phoneRegion: string;
  /** The request's pseudonym function (shared, or scoped to the principal). */
  readonly pseudonymize: Pseudonymize;
}

export type Redacted = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

const EMAIL = /^\s*([^@\s]+)@([^@\s]+)\.([^@.\s]+)\s*$/;
const PHONE = /^\s*\+?[\d\s().-]{7,24}\s*$/;
/** Address leaves that say little about a person on their own, or should keep a coarse part. */
const OBJECT_LEAF_MASKS: Readonly<Record<string, (value: string) => string>> = {
  // The first three digits of a ZIP code name a region, not a street (HIPAA Safe Harbor keeps them too).
  postalCode: (value) => `${value.trim().slice(0, 3)}**`,
  country: (value) => value,
};

export function maskValue(value: unknown, shape: ValueShape): Redacted {
  switch (shape) {
    case 'string':
      return typeof value === 'string' ? { ok: true, value: maskString(value) } : { ok: false };
    case 'date':
    case 'dateTime':
      return { ok: true, value: new RedactedText(maskDate(value, shape)) };
    case 'number':
      return typeof value === 'number' ? { ok: true, value: orderOfMagnitude(value) } : { ok: false };
    case 'json':
      return { ok: true, value: maskJson(value) };
    case 'object':
      return isRecord(value) ? { ok: true, value: mapLeaves(value, (leaf, key) => OBJECT_LEAF_MASKS[key]?.(leaf) ?? maskString(leaf)) } : { ok: false };
    case 'other':
      return { ok: false };
  }
}

export function hashValue(value: unknown, shape: ValueShape, options: RedactOptions): Redacted {
  switch (shape) {
    case 'string':
      return typeof value === 'string' ? { ok: true, value: hashString(value, options) } : { ok: false };
    case 'date':
    case 'dateTime':
      return { ok: true, value: new RedactedText(options.pseudonymize(dateText(value))) };
    case 'json':
      return { ok: true, value: hashJson(value, options) };
    case 'object':
      return isRecord(value) ? { ok: true, value: mapLeaves(value, (leaf) => hashString(leaf, options)) } : { ok: false };
    case 'number': // a Float cannot carry a hex digest
    case 'other':
      return { ok: false };
  }
}

export function maskString(value: string): string {
  const email = EMAIL.exec(value);
  if (email) return `${email[1]!.slice(0, 1)}***@${email[2]!.slice(0, 1)}***.${email[3]!}`;
  const digits = value.replace(/\D/g, '');
  if (PHONE.test(value) && digits.length >= 7) return `${value.trim().startsWith('+') ? '+' : ''}${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
  const trimmed = value.trim();
  return trimmed.length <= 1 ? '***' : `${trimmed.slice(0, 1)}***`;
}

/** The normalized form that is hashed; the same rules identity resolution applies to identifiers. */
export function normalizeForHash(value: string, options: RedactOptions): string {
  const trimmed = value.trim().normalize('NFC');
  if (EMAIL.test(trimmed)) return trimmed.toLowerCase();
  if (PHONE.test(trimmed)) return normalizedPhone(trimmed, options.phoneRegion);
  return trimmed;
}

/**
 * Phone numbers as E.164, the last PHONE_FORMS_KEPT kept: parsing one with
 * libphonenumber costs about 40 µs, and a marketing batch hashes the same
 * stored numbers request after request (bench/README.md, issue 18). Kept in
 * this process only, never logged; the key is the text and the region.
 */
const PHONE_FORMS_KEPT = 20_000;
const phoneForms = new LRUCache<string, string>({ max: PHONE_FORMS_KEPT });

function normalizedPhone(trimmed: string, region: string): string {
  const key = `${region}\u0000${trimmed}`;
  let form = phoneForms.get(key);
  if (form === undefined) {
    const phone = normalizeIdentity('PHONE', trimmed, { defaultRegion: region });
    form = phone.ok ? phone.key.value : trimmed;
    phoneForms.set(key, form);
  }
  return form;
}

export function hashString(value: string, options: RedactOptions): string {
  return options.pseudonymize(normalizeForHash(value, options));
}

/** Keeps the year: `1984-**-**` (or `1984-**-**T**:**:**Z` for an instant). */
function maskDate(value: unknown, shape: 'date' | 'dateTime'): string {
  const year = /^(\d{4})/.exec(dateText(value))?.[1] ?? '****';
  return shape === 'date' ? `${year}-**-**` : `${year}-**-**T**:**:**Z`;
}

function dateText(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}

/** 1,234.56 → 1000: the order of magnitude says "big spender" without the figure. */
export function orderOfMagnitude(value: number): number {
  if (!Number.isFinite(value) || Math.abs(value) < 1) return 0;
  return Math.sign(value) * 10 ** Math.floor(Math.log10(Math.abs(value)));
}

/** Event properties: keys stay, strings keep their first character, numbers their order of magnitude. */
function maskJson(value: unknown): unknown {
  if (typeof value === 'string') return maskString(value);
  if (typeof value === 'number') return orderOfMagnitude(value);
  if (Array.isArray(value)) return value.map(maskJson);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, maskJson(inner)]));
  return value;
}

function hashJson(value: unknown, options: RedactOptions): unknown {
  if (typeof value === 'string') return hashString(value, options);
  if (typeof value === 'number') return options.pseudonymize(String(value));
  if (Array.isArray(value)) return value.map((inner) => hashJson(inner, options));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, hashJson(inner, options)]));
  return value;
}

/** An object-valued field (an address): every string leaf redacted; any other leaf withheld. */
function mapLeaves(value: Record<string, unknown>, redact: (leaf: string, key: string) => string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([key, leaf]) => [key, typeof leaf === 'string' ? redact(leaf, key) : null]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
