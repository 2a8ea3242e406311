import { randomBytes } from 'node:crypto';

/**
 * Ids minted by the write path. Event ids start with the receive time in
 * base 36, so two events with the same occurredAt sort by arrival in the
 * timeline (`occurredAt#eventId`).
 */
export function newEventId(now: Date): string {
  return `evt_${now.getTime().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

export function newCustomerId(): string {
  return `cus_${randomBytes(10).toString('hex')}`;
}

/** Short random id for log entries, consent changes and write tokens. */
export function newToken(): string {
  return randomBytes(8).toString('hex');
}
