import { asWritten } from '../segments/changeFeed.js';
import type { CustomerRecord, IdentityKey } from '../domain/index.js';
import { identityIndexKey } from '../domain/index.js';


/**
 * The last customer records this process wrote or read on the write path,
 * so that `track` for a known identifier skips the index and customer reads.
 * Never trusted for correctness: every write names the version it read, so a
 * stale record (changed by another instance, merged, erased) only costs a
 * failed conditional write and a fresh read.
 */
export class CustomerCache {
  private readonly holders = new Map<string, string>();
  private readonly records = new Map<string, CustomerRecord>();

  constructor(private readonly capacity: number) {}

  /** The record last seen for the customer that holds `key`. */
  lookup(key: IdentityKey): CustomerRecord | undefined {
    const id = this.holders.get(identityIndexKey(key));
    if (id === undefined) return undefined;
    const record = this.records.get(id);
    if (!record) return undefined;
    // Refresh recency: Map iteration order is insertion order, the oldest entry is evicted first.
    this.records.delete(id);
    this.records.set(id, record);
    return record;
  }

  /** The customer last seen holding `key`, while its record is still here (a guess: another instance may have changed it). */
  holderOf(key: IdentityKey): string | undefined {
    const id = this.holders.get(identityIndexKey(key));
    return id !== undefined && this.records.has(id) ? id : undefined;
  }

  /** The record last seen for this customer, without touching recency. */
  peek(customerId: string): CustomerRecord | undefined {
    return this.records.get(customerId);
  }

  remember(written: CustomerRecord, key?: IdentityKey): void {
    if (this.capacity === 0) return;
    // As stored: with the segment index mark the change feed put on it (src/segments/changeFeed.ts).
    const record = asWritten(written);
    if (key) setBounded(this.holders, identityIndexKey(key), record.id, this.capacity * 4);
    this.records.delete(record.id);
    setBounded(this.records, record.id, record, this.capacity);
  }

  forget(customerId: string): void {
    this.records.delete(customerId);
  }
}

function setBounded<V>(map: Map<string, V>, key: string, value: V, capacity: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > capacity) map.delete(map.keys().next().value!);
}
