import type { EventQuery, IdentityKey } from './port.js';

/** Identity index key: one item per normalized identifier. */
export function identityIndexKey(key: IdentityKey): string {
  return `${key.type}#${key.value}`;
}

/** Timeline sort key: ISO timestamps of one width sort as strings, the id breaks ties. */
export function eventSortKey(occurredAt: string, id: string): string {
  return `${occurredAt}#${id}`;
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
