import type { IdentityKey } from './port.js';

/** Identity index key: one item per normalized identifier. */
export function identityIndexKey(key: IdentityKey): string {
  return `${key.type}#${key.value}`;
}

/** Timeline sort key: ISO timestamps of one width sort as strings, the id breaks ties. */
export function eventSortKey(occurredAt: string, id: string): string {
  return `${occurredAt}#${id}`;
}
