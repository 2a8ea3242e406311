import type { ConsentChangeRecord, CustomerRecord, EventPage, EventQuery, EventRecord, Purpose } from './domain/index.js';
import { MERGED_NOTE } from './identity/mergeEngine.js';
import type { Loaders } from './loaders.js';
import { eventSortKey } from '../connectors/singleview/keys.js';

/**
 * A customer's history as readers see it. Merges are by pointer
 * (docs/identity-resolution.md): the events and consent decisions of a
 * customer that a merge absorbed stay under its own id, and the survivor
 * lists that id among its `aliases`. So a read gathers them: one page from
 * each id, merged in order. A customer that absorbed nobody costs one page
 * read, as before (the one the root field may have started already).
 */
export function historyPartitions(record: CustomerRecord): string[] {
  return [...new Set([record.id, ...(record.aliases ?? [])])];
}

/**
 * One page of the customer's timeline across its ids. Every id's page
 * starts after the same position (an event's `occurredAt#id` sorts the same
 * in every timeline), so one cursor covers them all. Each id is asked for
 * `first` events (plus the one that says whether more follow); the page is
 * the first `first` of their union in order. An event found under two ids
 * (a copy a move left behind) counts once.
 */
export async function timelinePage(loaders: Pick<Loaders, 'events'>, record: CustomerRecord, query: EventQuery): Promise<EventPage> {
  const partitions = historyPartitions(record);
  if (partitions.length === 1) return loaders.events(record.id, query);
  const pages = await Promise.all(partitions.map((id) => loaders.events(id, query)));
  const newestFirst = query.order === 'NEWEST_FIRST';
  const byId = new Map<string, EventRecord>();
  for (const event of pages.flatMap((page) => page.events)) if (!byId.has(event.id)) byId.set(event.id, event);
  const ordered = [...byId.values()].sort((a, b) => {
    const order = eventSortKey(a.occurredAt, a.id).localeCompare(eventSortKey(b.occurredAt, b.id));
    return newestFirst ? -order : order;
  });
  return { events: ordered.slice(0, query.first), hasNextPage: ordered.length > query.first || pages.some((page) => page.hasNextPage) };
}

/**
 * The customer's consent decisions across its ids, newest first, at most
 * `first`. A decision given to an id the customer absorbed says so (`note`,
 * and `origin` names that id), as a merge's copy did before merges were by
 * pointer; a customer an unmerge created reads the ids that came with it
 * (`splitOrigins`) as its own.
 */
export async function consentHistory(
  loaders: Pick<Loaders, 'consentHistory'>,
  record: CustomerRecord,
  purpose: Purpose | undefined,
  first: number,
): Promise<ConsentChangeRecord[]> {
  const partitions = historyPartitions(record);
  const lists = await Promise.all(partitions.map((id) => loaders.consentHistory(id, purpose, first)));
  if (partitions.length === 1) return lists[0]!;
  const own = new Set([record.id, ...(record.splitOrigins ?? [])]);
  const byId = new Map<string, ConsentChangeRecord>();
  lists.forEach((list, i) => {
    const partition = partitions[i]!;
    for (const change of list) {
      if (byId.has(change.id)) continue;
      byId.set(change.id, own.has(partition) ? change : { ...change, origin: change.origin ?? partition, note: MERGED_NOTE });
    }
  });
  return [...byId.values()].sort((a, b) => `${b.at}#${b.id}`.localeCompare(`${a.at}#${a.id}`)).slice(0, first);
}
