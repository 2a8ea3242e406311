import { randomUUID } from 'node:crypto';

/**
 * Ids minted by the write path. Event ids start with the receive time in
 * base 36, so two events with the same occurredAt sort by arrival in the
 * timeline (`occurredAt#eventId`).
 */
export function newEventId(now: Date): string {
  return `evt_${now.getTime().toString(36).padStart(9, '0')}${randomHex(16)}`;
}

export function newCustomerId(): string {
  return `cus_${randomHex(20)}`;
}

/** Short random id for log entries, consent changes and write tokens. */
export function newToken(): string {
  return randomHex(16);
}

/** randomUUID draws from a cached entropy pool: cheaper per id than randomBytes on the hot path. */
function randomHex(length: number): string {
  return (randomUUID() + randomUUID()).replace(/-/g, '').slice(0, length);
}
