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
  return new RequestLoaders(ports, options);
}

/**
 * A class, not an object literal with getters: in V8 an object given
 * accessors of its own (a literal's `get x()` included) is kept through
 * young-generation collections with all it reaches, here the request's
 * loaders and the records they cache, and is promoted to the old generation
 * (bench/README.md, "Where the time goes"). A prototype's getters are
 * defined once.
 */
class RequestLoaders implements Loaders {
  readonly #ports: GuardedPorts;
  readonly #call: CallOptions;
  readonly #options: { readonly batch: boolean; readonly maxBatchSize: number };
  #eventPages: Map<string, Promise<EventPage>> | undefined;
  #customers: Loaders['customers'] | undefined;
  #canonicalIds: Loaders['canonicalIds'] | undefined;
  #identities: Loaders['identities'] | undefined;
  #crm: Loaders['crm'] | undefined;
  #loyalty: Loaders['loyalty'] | undefined;

  constructor(ports: GuardedPorts, options: LoaderOptions) {
    this.#ports = ports;
    this.#call = { parentSpan: options.parentSpan };
    this.#options = { batch: options.batching, maxBatchSize: 100 };
  }

  get customers(): Loaders['customers'] {
    return (this.#customers ??= new DataLoader(this.#batch((ids: readonly string[], o) => this.#ports.singleView.getCustomers(ids, o)), this.#options));
  }

  get canonicalIds(): Loaders['canonicalIds'] {
    return (this.#canonicalIds ??= new DataLoader(this.#batch((ids: readonly string[], o) => this.#ports.resolution.canonicalIds(ids, o)), this.#options));
  }

  get identities(): Loaders['identities'] {
    return (this.#identities ??= new DataLoader(this.#batch((keys: readonly IdentityKey[], o) => this.#ports.resolution.resolve(keys, o)), {
      ...this.#options,
      cacheKeyFn: identityIndexKey,
    }));
  }

  get crm(): Loaders['crm'] {
    return (this.#crm ??= new DataLoader(this.#batch((crmIds: readonly string[], o) => this.#ports.crm.getMany(crmIds, o)), this.#options));
  }

  get loyalty(): Loaders['loyalty'] {
    return (this.#loyalty ??= new DataLoader(this.#batch((memberIds: readonly string[], o) => this.#ports.loyalty.getMany(memberIds, o)), this.#options));
  }

  events(customerId: string, query: EventQuery): Promise<EventPage> {
    const key = JSON.stringify([customerId, query]);
    this.#eventPages ??= new Map();
    let page = this.#eventPages.get(key);
    if (!page) {
      page = this.#ports.singleView.getEvents(customerId, query, this.#call);
      this.#eventPages.set(key, page);
    }
    return page;
  }

  auditTrail(customerId: string, first: number, after?: AuditPosition): Promise<AuditPage> {
    return this.#ports.singleView.getAuditTrail(customerId, first, after, this.#call);
  }

  consentHistory(customerId: string, purpose: Purpose | undefined, first: number): Promise<ConsentChangeRecord[]> {
    return this.#ports.singleView.getConsentHistory(customerId, { purpose, first }, this.#call);
  }

  identityLog(customerId: string, first: number): Promise<IdentityLogEntry[]> {
    return this.#ports.singleView.getIdentityLog(customerId, first, this.#call);
  }

  /**
   * A failed batch becomes that error for every key. DataLoader forgets keys
   * whose whole batch rejected, so without this a second resolver asking for
   * the same key would call a failing source again in the same request.
   */
  #batch<K, V>(load: (keys: readonly K[], call: CallOptions) => Promise<ReadonlyArray<V | Error>>) {
    return (keys: readonly K[]): Promise<ReadonlyArray<V | Error>> => load(keys, this.#call).catch((error: Error) => keys.map(() => error));
  }
}
