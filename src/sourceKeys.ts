import { LRUCache } from 'lru-cache';
import type { CustomerRecord, IdentityType } from './domain/index.js';

/**
 * How a customer is found in the sources that do not know c360's ids: by
 * the values of its `CRM_ID` identities in the CRM and of its `LOYALTY_ID`
 * identities in the loyalty system, the identifier held longest first (that
 * source's primary record). A customer without such an identity costs no
 * call to that source.
 */
export interface SourceKeys {
  readonly crm: readonly string[];
  readonly loyalty: readonly string[];
}

export function sourceKeysOf(record: CustomerRecord): SourceKeys {
  // A frozen record (the in-process stores hand out each record frozen, and again on every read) cannot change: its keys are worked out once.
  const frozen = Object.isFrozen(record);
  const known = frozen ? keysOfFrozen.get(record) : undefined;
  if (known) return known;
  const keys = { crm: valuesOf(record, 'CRM_ID'), loyalty: valuesOf(record, 'LOYALTY_ID') };
  if (frozen) keysOfFrozen.set(record, keys);
  return keys;
}

const keysOfFrozen = new WeakMap<CustomerRecord, SourceKeys>();

function valuesOf(record: CustomerRecord, type: IdentityType): string[] {
  const held: Array<{ readonly value: string; readonly firstSeenAt: string; readonly index: number }> = [];
  record.identities.forEach((identity, index) => {
    if (identity.type === type) held.push({ value: identity.value, firstSeenAt: identity.firstSeenAt, index });
  });
  if (held.length > 1) held.sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt) || a.index - b.index);
  return held.map((identity) => identity.value);
}

/** Customers whose keys this process remembers; a hint older than this many entries is forgotten. */
const HINT_CAPACITY = 10_000;

/**
 * The source keys of customers this process read recently, by customer id.
 * The keys live on the single view record, so without a hint the CRM and
 * loyalty calls wait for that read: two rounds of source latency. With one,
 * they start beside it, and a full customer costs one round again.
 *
 * Never trusted for correctness: resolvers use the keys of the record they
 * hold, so a stale hint (an identify that linked a CRM id since, an erasure
 * on another instance) only costs a wasted lookup and the second round.
 */
export class SourceKeyHints {
  private readonly hints = new LRUCache<string, SourceKeys>({ max: HINT_CAPACITY });
  /** The customer holding a login (`me`), by the login's index key: likewise never trusted, only a head start. */
  private readonly holders = new LRUCache<string, string>({ max: HINT_CAPACITY });

  /** The customer that held this login when this process last looked it up. */
  holderOf(loginKey: string): string | undefined {
    return this.holders.get(loginKey);
  }

  rememberHolder(loginKey: string, customerId: string | null): void {
    if (customerId === null) this.holders.delete(loginKey);
    else this.holders.set(loginKey, customerId);
  }

  get(customerId: string): SourceKeys | undefined {
    return this.hints.get(customerId);
  }

  /** The keys of `record`, under its id and the id it was asked by (an id a merge absorbed). */
  remember(record: CustomerRecord, askedId?: string): void {
    const keys = sourceKeysOf(record);
    this.hints.set(record.id, keys);
    if (askedId !== undefined && askedId !== record.id) this.hints.set(askedId, keys);
  }

  forget(customerId: string): void {
    this.hints.delete(customerId);
  }
}
