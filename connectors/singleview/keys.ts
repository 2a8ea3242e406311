import { encodeFieldDecisions, namesCustomers } from './auditFields.js';
import type { AuditRecordModel, EventQuery } from '../../src/domain/index.js';

/** Match link key, beside the identity index: an external resolver's match group. */
export function matchIndexKey(matchId: string): string {
  return `MATCH#${matchId}`;
}

/** The identity index's key (src/domain/identityKey.ts), for the adapters. */
export { identityIndexKey } from '../../src/domain/identityKey.js';

/** Timeline sort key: ISO timestamps of one width sort as strings, the id breaks ties. */
export function eventSortKey(occurredAt: string, id: string): string {
  return `${occurredAt}#${id}`;
}

/** DynamoDB's item size limit (400 KB, names and values together). */
export const MAX_AUDIT_ITEM_BYTES = 400 * 1024;

/**
 * An audit record as items: one per customer, naming only that customer, with
 * only that customer's fields (stored as one compact JSON string, auditFields.ts), and each item's
 * approximate size: the fields' JSON, which is almost all of it, and a
 * generous allowance for the other attributes (ids, times, a bounded operation).
 */
export function auditItems(record: AuditRecordModel): Array<{ readonly item: Record<string, unknown>; readonly bytes: number }> {
  const customers = record.customerIds.length > 0 ? record.customerIds : ['-'];
  const others = Buffer.byteLength(JSON.stringify(record.detail ?? null)) + 2048;
  return customers.map((customerId) => {
    const own = customers.length === 1 && !namesCustomers(record.fields);
    const fields = encodeFieldDecisions(
      own ? record.fields : record.fields.filter((field) => !field.customerId || field.customerId === customerId).map(({ customerId: _owner, ...field }) => field),
    );
    return {
      item: { ...record, customerIds: [customerId], fields, customerId, sk: `${record.at}#${record.id}` },
      bytes: fields.byteLength + others,
    };
  });
}

/**
 * The sort keys one page of a timeline reads, both bounds inclusive: from
 * `since` to `until` and past the cursor in the page's direction. The
 * cursor's own event (`after`) sits on a bound and is skipped by the reader.
 */
export interface TimelineRange {
  readonly lower?: string | undefined;
  readonly upper?: string | undefined;
  readonly after?: string | undefined;
  readonly newestFirst: boolean;
}

export function timelineRange(query: EventQuery): TimelineRange {
  const after = query.after ? eventSortKey(query.after.occurredAt, query.after.id) : undefined;
  const until = query.until ? `${query.until}#\uffff` : undefined;
  const newestFirst = query.order === 'NEWEST_FIRST';
  return newestFirst
    ? { lower: query.since, upper: bound(until, after, (a, b) => a < b), after, newestFirst }
    : { lower: bound(query.since, after, (a, b) => a > b), upper: until, after, newestFirst };
}

/** The tighter of two optional bounds. */
function bound(a: string | undefined, b: string | undefined, tighter: (a: string, b: string) => boolean): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return tighter(a, b) ? a : b;
}
