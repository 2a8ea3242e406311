import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js';
import { z } from 'zod';
import type { IdentityKey, IdentityType } from '../../src/domain/index.js';

/**
 * Identifiers are normalized before any match, read or write, so that
 * " User@Email.com" and "user@email.com" are one identifier and so are
 * "(415) 555-0100" and "+14155550100".
 */
export type Normalized = { readonly ok: true; readonly key: IdentityKey } | { readonly ok: false; readonly reason: string };

export interface NormalizeOptions {
  /** Region for phone numbers written without a country code (ISO 3166 alpha-2). */
  readonly defaultRegion: string;
}

/** Longest identifier value accepted; longer values are refused, not cut. */
export const MAX_IDENTIFIER_LENGTH = 256;
const emailSchema = z.email();
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function normalizeIdentity(type: IdentityType, raw: string, options: NormalizeOptions): Normalized {
  const value = raw.trim();
  if (value.length === 0) return { ok: false, reason: 'is empty' };
  if (value.length > MAX_IDENTIFIER_LENGTH) return { ok: false, reason: `is longer than ${MAX_IDENTIFIER_LENGTH} characters` };
  if (CONTROL_CHARACTERS.test(value)) return { ok: false, reason: 'contains control characters' };
  switch (type) {
    case 'EMAIL': {
      const email = value.toLowerCase();
      return emailSchema.safeParse(email).success ? { ok: true, key: { type, value: email } } : { ok: false, reason: 'is not an email address' };
    }
    case 'PHONE': {
      const phone = parsePhoneNumberFromString(value, options.defaultRegion as CountryCode);
      return phone?.isValid()
        ? { ok: true, key: { type, value: phone.number } }
        : { ok: false, reason: `is not a valid phone number (default region ${options.defaultRegion})` };
    }
    default:
      return { ok: true, key: { type, value } };
  }
}
