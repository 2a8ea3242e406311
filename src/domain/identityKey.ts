import type { IdentityKey } from './customer.js';
import type { IdentityType } from './vocabulary.js';

/**
 * An identifier as one string, `TYPE#value`: the identity index's key, and
 * how identity logs, events (`via`), caches and the suppression list name an
 * identifier. Identifies a person: never logged.
 */
export function identityIndexKey(key: IdentityKey): string {
  return `${key.type}#${key.value}`;
}

/** `TYPE#value` back into an identifier (values may hold `#`). */
export function parseIdentityIndexKey(key: string): IdentityKey {
  const at = key.indexOf('#');
  return { type: key.slice(0, at) as IdentityType, value: key.slice(at + 1) };
}
