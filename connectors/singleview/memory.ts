import type { z } from 'zod';
import type { CallOptions } from '../resilience/callOptions.js';
import { malformedPayload } from '../resilience/sourceError.js';
import { eventSortKey, identityIndexKey } from './keys.js';
import type {
  ApiKeyRecord,
  AuditPage,
  AuditPosition,
  AuditRecordModel,
  CustomerRecord,
  EventPage,
  EventQuery,
  EventRecord,
  IdentityKey,
  MergeLink,
  SingleViewPort,
} from './port.js';
import {
  apiKeyItemSchema,
  auditItemSchema,
  customerItemSchema,
  eventItemSchema,
  identityIndexItemSchema,
  mergeLinkSchema,
} from './schemas.js';

type Item = Record<string, unknown>;

/** Items as the DynamoDB adapter stores them, to load a memory single view with. */
export interface SingleViewItems {
  /** Customer items (a record plus its `version`). */
  readonly customers: readonly Item[];
  /** Identity index items: `{ key: 'TYPE#value', customerId }`. */
  readonly identities: readonly Item[];
  readonly events: readonly EventRecord[];
}

const SOURCE = 'singleview';

/**
 * The single view in process memory, for benchmarks (`C360_SOURCES=memory`):
 * it takes the data work out of a measurement and leaves the gateway's own.
 * Same port, same contract suite as the DynamoDB adapter, and the same zod
 * checks on every item it hands out, so it costs what validation costs there.
 * Nothing is persisted; every answer is a fresh copy, as from a real store.
 */
export class MemorySingleView implements SingleViewPort {
  private readonly customers = new Map<string, Item>();
  private readonly identityIndex = new Map<string, Item>();
  /** Each customer's event items, sorted by sort key (`occurredAt#id`). */
  private readonly timelines = new Map<string, Item[]>();
  /** Each customer's audit items, sorted by sort key (`at#id`). */
  private readonly auditTrails = new Map<string, Item[]>();
  private readonly apiKeys = new Map<string, Item>();

  constructor(items: SingleViewItems = { customers: [], identities: [], events: [] }) {
    for (const customer of items.customers) this.customers.set(String(customer.id), customer);
    for (const entry of items.identities) this.identityIndex.set(String(entry.key), entry);
    for (const event of items.events) insertSorted(this.timelines, event.customerId, { ...event, sk: eventSortKey(event.occurredAt, event.id) });
  }

  async getCustomers(ids: readonly string[], _options?: CallOptions): Promise<Array<CustomerRecord | null | Error>> {
    return ids.map((id) => {
      const item = this.customers.get(id);
      return item ? parseItem(customerItemSchema, item) : null;
    });
  }

  async getMergeLinks(ids: readonly string[], _options?: CallOptions): Promise<Array<MergeLink | null | Error>> {
    return ids.map((id) => {
      const item = this.customers.get(id);
      return item ? parseItem(mergeLinkSchema, { id: item.id, mergedInto: item.mergedInto }) : null;
    });
  }

  async customerIdsByIdentity(keys: readonly IdentityKey[], _options?: CallOptions): Promise<Array<string | null | Error>> {
    return keys.map((key) => {
      const item = this.identityIndex.get(identityIndexKey(key));
      if (!item) return null;
      const parsed = parseItem(identityIndexItemSchema, item);
      return parsed instanceof Error ? parsed : parsed.customerId;
    });
  }

  /** The DynamoDB adapter's Query, in memory: sort-key range, `after` exclusive, type filter, one extra for hasNextPage. */
  async getEvents(customerId: string, query: EventQuery, _options?: CallOptions): Promise<EventPage> {
    const afterKey = query.after ? eventSortKey(query.after.occurredAt, query.after.id) : undefined;
    const since = query.since;
    const upper = query.until ? `${query.until}#\uffff` : undefined;
    const wanted = query.first + 1;
    const events: EventRecord[] = [];
    for (const item of this.timelines.get(customerId) ?? []) {
      const sk = String(item.sk);
      if (afterKey !== undefined && sk <= afterKey) continue;
      if (since !== undefined && sk < since) continue;
      if (upper !== undefined && sk > upper) break;
      if (query.types && query.types.length > 0 && !query.types.includes(String(item.type))) continue;
      events.push(parseOrThrow(eventItemSchema, item));
      if (events.length === wanted) break;
    }
    return { events: events.slice(0, query.first), hasNextPage: events.length > query.first };
  }

  async getAuditTrail(customerId: string, first: number, after?: AuditPosition, _options?: CallOptions): Promise<AuditPage> {
    const afterKey = after ? `${after.at}#${after.id}` : undefined;
    const newestFirst = [...(this.auditTrails.get(customerId) ?? [])].reverse();
    const page = newestFirst.filter((item) => afterKey === undefined || String(item.sk) < afterKey).slice(0, first + 1);
    const records = page.map((item) => parseOrThrow(auditItemSchema, item));
    return { records: records.slice(0, first), hasNextPage: records.length > first };
  }

  async appendAudit(record: AuditRecordModel, _options?: CallOptions): Promise<void> {
    const customers = record.customerIds.length > 0 ? record.customerIds : ['-'];
    for (const customerId of customers) insertSorted(this.auditTrails, customerId, { ...record, customerId, sk: `${record.at}#${record.id}` });
  }

  async getApiKey(keyId: string): Promise<ApiKeyRecord | null> {
    const item = this.apiKeys.get(keyId);
    return item ? parseOrThrow(apiKeyItemSchema, item) : null;
  }

  async putApiKey(key: ApiKeyRecord): Promise<void> {
    this.apiKeys.set(key.keyId, { ...key });
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const keys = [...this.apiKeys.values()].map((item) => parseOrThrow(apiKeyItemSchema, item));
    return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async health(): Promise<void> {}

  async close(): Promise<void> {}
}

/** Keeps each partition sorted by `sk`, as a DynamoDB range key is. */
function insertSorted(partitions: Map<string, Item[]>, partition: string, item: Item): void {
  const items = partitions.get(partition) ?? [];
  const sk = String(item.sk);
  const existing = items.findIndex((other) => String(other.sk) === sk);
  if (existing >= 0) items[existing] = item;
  else {
    const at = items.findIndex((other) => String(other.sk) > sk);
    items.splice(at < 0 ? items.length : at, 0, item);
  }
  partitions.set(partition, items);
}

function parseItem<S extends z.ZodType>(schema: S, item: Item): z.output<S> | Error {
  const result = schema.safeParse(item);
  return result.success ? result.data : malformedPayload(SOURCE, result.error.issues);
}

function parseOrThrow<S extends z.ZodType>(schema: S, item: Item): z.output<S> {
  const parsed = parseItem(schema, item);
  if (parsed instanceof Error) throw parsed;
  return parsed;
}
