import DataLoader from 'dataloader';
import type { Context, Span } from '@opentelemetry/api';
import type { CrmContactRecord } from '../connectors/crm/port.js';
import type { LoyaltyAccountRecord } from '../connectors/loyalty/port.js';
import type { CallOptions } from '../connectors/resilience/callOptions.js';
import type { SourceGuard } from '../connectors/resilience/sourceGuard.js';
import type { AuditPage, AuditPosition, ConsentChangeRecord, CustomerRecord, EventPage, EventQuery, IdentityKey, IdentityLogEntry, Purpose } from './domain/index.js';
import type { SourceName } from './config.js';
import type { Sources } from './sources.js';

/**
 * One DataLoader per source per request: keys asked for in the same tick go
 * to the source as one batch, and a key asked for twice is fetched once.
 * Every batch runs through its source's guard, under the operation's span.
 */
export interface Loaders {
  readonly customers: DataLoader<string, CustomerRecord | null>;
  readonly canonicalIds: DataLoader<string, string | null>;
  readonly identities: DataLoader<IdentityKey, string | null, string>;
  /** By CRM id (the values of a customer's CRM_ID identities, src/sourceKeys.ts). */
  readonly crm: DataLoader<string, CrmContactRecord | null>;
  /** By loyalty member id (the values of a customer's LOYALTY_ID identities). */
  readonly loyalty: DataLoader<string, LoyaltyAccountRecord | null>;
  /**
   * Paged reads are not batched, but they are guarded like every source call.
   * A page asked for twice in a request (prefetched by the root field, then
   * read by Customer.events) is read once.
   */
  events(customerId: string, query: EventQuery): Promise<EventPage>;
  auditTrail(customerId: string, first: number, after?: AuditPosition): Promise<AuditPage>;
  consentHistory(customerId: string, purpose: Purpose | undefined, first: number): Promise<ConsentChangeRecord[]>;
  identityLog(customerId: string, first: number): Promise<IdentityLogEntry[]>;
}

export interface LoaderOptions {
  readonly parentSpan?: Span | undefined;
  /** Off only for the naive benchmark baseline: one source call per key. */
  readonly batching: boolean;
}

export function createLoaders(sources: Sources, options: LoaderOptions): Loaders {
  const read = <T>(source: SourceName, operation: string, batchSize: number, task: (call: CallOptions) => Promise<T>) =>
    guardOf(sources, source).run({ operation, batchSize, idempotent: true, parentSpan: options.parentSpan }, (signal: AbortSignal, traceContext: Context) =>
      task({ signal, traceContext }),
    );
  /**
   * A failed batch becomes that error for every key. DataLoader forgets keys
   * whose whole batch rejected, so without this a second resolver asking for
   * the same key would call a failing source again in the same request.
   */
  const batch = <K, V>(source: SourceName, operation: string, task: (keys: readonly K[], call: CallOptions) => Promise<ReadonlyArray<V | Error>>) =>
    (keys: readonly K[]): Promise<ReadonlyArray<V | Error>> =>
      read(source, operation, keys.length, (call) => task(keys, call)).catch((error: Error) => keys.map(() => error));
  const loaderOptions = { batch: options.batching, maxBatchSize: 100 };
  const eventPages = new Map<string, Promise<EventPage>>();
  return {
    customers: new DataLoader(
      batch('singleview', 'getCustomers', (ids: readonly string[], call) => sources.singleView.getCustomers(ids, call)),
      loaderOptions,
    ),
    canonicalIds: new DataLoader(
      batch('resolution', 'canonicalIds', (ids: readonly string[], call) => sources.resolution.canonicalIds(ids, call)),
      loaderOptions,
    ),
    identities: new DataLoader(
      batch('resolution', 'resolve', (keys: readonly IdentityKey[], call) => sources.resolution.resolve(keys, call)),
      { ...loaderOptions, cacheKeyFn: (key) => `${key.type}#${key.value}` },
    ),
    crm: new DataLoader(
      batch('crm', 'getMany', (crmIds: readonly string[], call) => sources.crm.getMany(crmIds, call)),
      loaderOptions,
    ),
    loyalty: new DataLoader(
      batch('loyalty', 'getMany', (memberIds: readonly string[], call) => sources.loyalty.getMany(memberIds, call)),
      loaderOptions,
    ),
    events: (customerId, query) => {
      const key = JSON.stringify([customerId, query]);
      let page = eventPages.get(key);
      if (!page) {
        page = read('singleview', 'getEvents', 1, (call) => sources.singleView.getEvents(customerId, query, call));
        eventPages.set(key, page);
      }
      return page;
    },
    auditTrail: (customerId, first, after) =>
      read('singleview', 'getAuditTrail', 1, (call) => sources.singleView.getAuditTrail(customerId, first, after, call)),
    consentHistory: (customerId, purpose, first) =>
      read('singleview', 'getConsentHistory', 1, (call) => sources.singleView.getConsentHistory(customerId, { purpose, first }, call)),
    identityLog: (customerId, first) =>
      read('singleview', 'getIdentityLog', 1, (call) => sources.singleView.getIdentityLog(customerId, first, call)),
  };
}

function guardOf(sources: Sources, source: SourceName): SourceGuard {
  return sources.guards[source];
}
