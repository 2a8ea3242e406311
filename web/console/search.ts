import type { CustomerLookup } from './customerQuery.js';

/** What the "Find by" list offers; the gateway normalizes values (emails lower-cased, phones to E.164). */
export const SEARCH_KINDS = [
  ['auto', 'Email, phone or customer id'],
  ['EMAIL', 'Email'],
  ['PHONE', 'Phone'],
  ['CUSTOMER_ID', 'Customer id'],
  ['USER_ID', 'User id'],
  ['ANONYMOUS_ID', 'Anonymous id'],
  ['DEVICE_ID', 'Device id'],
  ['CRM_ID', 'CRM id'],
  ['LOYALTY_ID', 'Loyalty id'],
] as const;

export type SearchKind = (typeof SEARCH_KINDS)[number][0];

const PHONE_LIKE = /^\+?[\d\s().-]+$/;

/** Turns the search box into a lookup; `auto` tells an email and a phone number from a customer id. */
export function lookupFor(kind: string, raw: string): CustomerLookup | { readonly error: string } {
  const value = raw.trim();
  if (value === '') return { error: 'Type an email, a phone number, a customer id or another identifier.' };
  switch (kind) {
    case 'auto':
      if (value.includes('@')) return { by: 'identity', type: 'EMAIL', value };
      if (PHONE_LIKE.test(value) && value.replace(/\D/g, '').length >= 7) return { by: 'identity', type: 'PHONE', value };
      return { by: 'id', id: value };
    case 'CUSTOMER_ID':
      return { by: 'id', id: value };
    default:
      return { by: 'identity', type: kind, value };
  }
}

export function describeLookup(lookup: CustomerLookup): string {
  if (lookup.by === 'id') return 'customer id';
  return SEARCH_KINDS.find(([kind]) => kind === lookup.type)?.[1].toLowerCase() ?? 'identifier';
}
