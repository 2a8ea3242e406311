import type { IdentityKey, IdentityType } from './domain/index.js';
import { normalizeIdentity } from '../connectors/resolution/normalize.js';
import { badUserInput } from './errors.js';

/** Customer ids are 1–128 characters from [A-Za-z0-9_.:-] (docs/errors.md, BAD_USER_INPUT). */
const CUSTOMER_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
/** `customers(ids:)` takes at most this many ids: one DynamoDB BatchGetItem. */
export const MAX_CUSTOMER_IDS = 100;
export const MAX_PAGE_SIZE = 100;

export function isCustomerId(value: string): boolean {
  return CUSTOMER_ID.test(value);
}

export function customerId(value: string, field: string): string {
  if (!isCustomerId(value)) {
    throw badUserInput(`${field} is not a customer id: expected 1–128 characters from A–Z, a–z, 0–9, _ . : -.`, field);
  }
  return value;
}

export function customerIds(values: readonly string[], field: string): string[] {
  if (values.length > MAX_CUSTOMER_IDS) {
    throw badUserInput(`${field} has ${values.length} ids; at most ${MAX_CUSTOMER_IDS} are allowed per request.`, field);
  }
  return values.map((value, index) => customerId(value, `${field}[${index}]`));
}

export function pageSize(value: number | null | undefined, field: string, fallback = 20): number {
  const size = value ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badUserInput(`${field} must be between 1 and ${MAX_PAGE_SIZE}.`, field);
  }
  return size;
}

/** Normalizes an identifier as the resolution engine stores it; BAD_USER_INPUT names the field, not the value. */
export function identityKey(type: IdentityType, value: string, field: string, defaultRegion: string): IdentityKey {
  const normalized = normalizeIdentity(type, value, { defaultRegion });
  if (!normalized.ok) throw badUserInput(`${field} ${normalized.reason} for identity type ${type}.`, field);
  return normalized.key;
}

/** Merge suggestion ids are `ms_` and 24 base64url characters (src/identity/suggestions.ts). */
export function suggestionIdArgument(value: string, field: string): string {
  if (!/^ms_[A-Za-z0-9_-]{24}$/.test(value)) throw badUserInput(`${field} is not a merge suggestion id.`, field);
  return value;
}
