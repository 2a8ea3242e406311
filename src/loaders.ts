import DataLoader from 'dataloader';
import type { Span } from '@opentelemetry/api';
import type { CrmContactRecord } from '../connectors/crm/port.js';
import type { LoyaltyAccountRecord } from '../connectors/loyalty/port.js';
import type { CallOptions } from '../connectors/resilience/callOptions.js';

import type { AuditPage, AuditPosition, ConsentChangeRecord, CustomerRecord, EventPage, EventQuery, IdentityKey, IdentityLogEntry, Purpose } from './domain/index.js';
import type { GuardedPorts } from './sources.js';
import { identityIndexKey } from './domain/index.js';

/**
 * One DataLoader per source per request: keys asked for in the same tick go
 * to the source as one batch, and a key asked for twice is fetched once.
 * Every batch goes to its source's guarded port (src/sources.ts), under the operation's span.
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

/**
 * The loaders are made on first use: a request builds only those of the
 * sources its operation touches (a `{ __typename }` builds none, a
 * call-centre screen all five).
 */
export function createLoaders(ports: GuardedPorts, options: LoaderOptions): Loaders {
  const call: CallOptions = { parentSpan: options.parentSpan };
  /**
   * A failed batch becomes that error for every key. DataLoader forgets keys
   * whose whole batch rejected, so without this a second resolver asking for
   * the same key would call a failing source again in the same request.
   */
  const batch =
    <K, V>(load: (keys: readonly K[], call: CallOptions) => Promise<ReadonlyArray<V | Error>>) =>
    (keys: readonly K[]): Promise<ReadonlyArray<V | Error>> =>
      load(keys, call).catch((error: Error) => keys.map(() => error));
  const loaderOptions = { batch: options.batching, maxBatchSize: 100 };
  const { singleView, resolution } = ports;
  let eventPages: Map<string, Promise<EventPage>> | undefined;
  let customers: Loaders['customers'] | undefined;
  let canonicalIds: Loaders['canonicalIds'] | undefined;
  let identities: Loaders['identities'] | undefined;
  let crm: Loaders['crm'] | undefined;
  let loyalty: Loaders['loyalty'] | undefined;
  return {
    get customers() {
      return (customers ??= new DataLoader(batch((ids: readonly string[], o) => singleView.getCustomers(ids, o)), loaderOptions));
    },
    get canonicalIds() {
      return (canonicalIds ??= new DataLoader(batch((ids: readonly string[], o) => resolution.canonicalIds(ids, o)), loaderOptions));
    },
    get identities() {
      return (identities ??= new DataLoader(batch((keys: readonly IdentityKey[], o) => resolution.resolve(keys, o)), {
        ...loaderOptions,
        cacheKeyFn: identityIndexKey,
      }));
    },
    get crm() {
      return (crm ??= new DataLoader(batch((crmIds: readonly string[], o) => ports.crm.getMany(crmIds, o)), loaderOptions));
    },
    get loyalty() {
      return (loyalty ??= new DataLoader(batch((memberIds: readonly string[], o) => ports.loyalty.getMany(memberIds, o)), loaderOptions));
    },
    events: (customerId, query) => {
      const key = JSON.stringify([customerId, query]);
      eventPages ??= new Map();
      let page = eventPages.get(key);
      if (!page) {
        page = singleView.getEvents(customerId, query, call);
        eventPages.set(key, page);
      }
      return page;
    },
    auditTrail: (customerId, first, after) => singleView.getAuditTrail(customerId, first, after, call),
    consentHistory: (customerId, purpose, first) => singleView.getConsentHistory(customerId, { purpose, first }, call),
    identityLog: (customerId, first) => singleView.getIdentityLog(customerId, first, call),
  };
}
