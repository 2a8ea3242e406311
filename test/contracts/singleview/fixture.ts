import type { SingleViewItems } from '../../../connectors/singleview/memory.js';
import type { CustomerRecord, EventRecord } from '../../../src/domain/index.js';
import { identityIndexKey } from '../../../src/domain/index.js';
import { customerRecord } from '../../support/records.js';

/** Times of the read fixture: minutes past noon on 2026-10-01. */
export const at = (minute: number) => new Date(Date.UTC(2026, 9, 1, 12, minute)).toISOString();

const customer = (n: number): CustomerRecord => ({
  id: `cus_${n}`,
  createdAt: at(0),
  updatedAt: at(1),
  profile: { firstName: `F${n}`, lastName: null, email: null, phone: null, birthDate: null, address: null },
  identities: [{ type: 'EMAIL', value: `c${n}@example.com`, source: 'web', firstSeenAt: at(0), lastSeenAt: at(1) }],
  consents: [{ purpose: 'MARKETING', status: 'GRANTED', channel: 'web', updatedAt: at(0), source: 'test' }],
  segments: [{ segmentId: 'high_value', since: at(1) }],
  traits: { lifetimeValue: 10 * n, orderCount: n, firstSeenAt: at(0), lastSeenAt: at(1) },
  mergedInto: null,
  aliases: [],
});

const event = (n: number, minute: number, type: string): EventRecord => ({
  id: `evt_${String(n).padStart(3, '0')}`,
  customerId: 'cus_1',
  type,
  occurredAt: at(minute),
  receivedAt: at(minute),
  channel: 'web',
  source: 'test',
  properties: { n },
});

/** 130 customers: more than one BatchGetItem (100 keys) holds. */
export const CUSTOMERS = Array.from({ length: 130 }, (_, i) => customer(i + 1));
// Two events share a timestamp: the id breaks the tie.
const EVENTS = [event(1, 5, 'Page Viewed'), event(2, 3, 'Order Completed'), event(3, 9, 'Page Viewed'), event(4, 3, 'Page Viewed'), event(5, 7, 'Order Completed')];
/** cus_1's timeline, oldest first. */
export const TIMELINE = [...EVENTS].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id));

/** The read suites' store, items as stored: the customers with their version and one malformed item (`cus_bad`), their identity index, cus_1's events. */
export const READ_FIXTURE: SingleViewItems = {
  customers: [...CUSTOMERS.map((c) => ({ ...c, version: 1 })), { id: 'cus_bad', createdAt: 7 }],
  identities: CUSTOMERS.map((c) => ({ key: identityIndexKey(c.identities[0]!), customerId: c.id })),
  events: EVENTS,
};

/** A customer record for the write suites, at a version. */
export const customerAt = (id: string, version: number, extra: Partial<CustomerRecord> = {}): CustomerRecord => customerRecord(id, { version, ...extra });

/** Event `n` of a write suite's timeline: one a minute from 2026-11-01. */
export const eventOf = (customerId: string, n: number): EventRecord => ({
  id: `e${String(n).padStart(3, '0')}`,
  customerId,
  type: 'X',
  occurredAt: new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString(),
  receivedAt: '2026-11-01T00:00:00.000Z',
  channel: null,
  source: 'test',
  properties: null,
});
