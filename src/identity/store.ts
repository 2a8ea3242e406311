import { setTimeout as sleep } from 'node:timers/promises';
import type { Span } from '@opentelemetry/api';
import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import { SourceError } from '../../connectors/resilience/sourceError.js';
import type { SourceGuard } from '../../connectors/resilience/sourceGuard.js';
import type { CustomerRecord, SingleViewPort } from '../../connectors/singleview/port.js';
import type { CustomerCache } from './cache.js';
import { newToken } from './ids.js';
import type { KeyedLock } from './keyedLock.js';

/**
 * The single view as the write path uses it: every call through the source's
 * guard (deadline, breaker, span under the request), reads retried, writes
 * attempted once. Conditional writes answer `conflict` rather than throw, so
 * lost races never open the circuit.
 */
export class GuardedStore {
  constructor(
    readonly port: SingleViewPort,
    private readonly guard: SourceGuard,
    private readonly parentSpan?: Span,
    private readonly local?: { readonly locks: KeyedLock; readonly cache: CustomerCache },
  ) {}

  read<T>(operation: string, task: (options: CallOptions) => Promise<T>, batchSize = 1): Promise<T> {
    return this.guard.run({ operation, batchSize, idempotent: true, parentSpan: this.parentSpan }, (signal) => task({ signal }));
  }

  write<T>(operation: string, task: (options: CallOptions) => Promise<T>, batchSize = 1): Promise<T> {
    return this.guard.run({ operation, batchSize, idempotent: false, parentSpan: this.parentSpan }, (signal) => task({ signal }));
  }

  /** Strongly consistent reads, as writers need before a conditional write. */
  async customers(ids: readonly string[]): Promise<Map<string, CustomerRecord>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const records = await this.read('getCustomers', (o) => this.port.getCustomers(unique, { ...o, consistent: true }), unique.length);
    const found = new Map<string, CustomerRecord>();
    records.forEach((record, i) => {
      if (record instanceof Error) throw record;
      if (record) found.set(unique[i]!, record);
    });
    return found;
  }

  async customer(id: string): Promise<CustomerRecord | null> {
    return (await this.customers([id])).get(id) ?? null;
  }

  /**
   * Writes `next` over the version it was computed from. When the call's
   * outcome is unknown (a timeout), the stored write token tells whether it
   * landed, so a retry never applies one change twice.
   */
  async replace(next: CustomerRecord, expectedVersion: number): Promise<CustomerRecord | null> {
    const record = { ...next, version: expectedVersion + 1, writeToken: newToken() };
    try {
      const outcome = await this.write('replaceCustomer', (o) => this.port.replaceCustomer(record, expectedVersion, o));
      return outcome === 'written' ? record : null;
    } catch (error) {
      if (!(error instanceof SourceError) || error.failure !== 'timeout') throw error;
      const stored = await this.customer(record.id);
      return stored?.writeToken === record.writeToken ? record : null;
    }
  }

  /**
   * Read, change, write under the version read, until the write lands. Stops
   * without writing when the customer is gone or absorbed by a merge (the
   * caller decides what that means) or when `change` returns null (nothing to do).
   */
  async update<T>(
    id: string,
    change: (current: CustomerRecord) => { record: CustomerRecord; result: T } | null,
    known?: CustomerRecord,
  ): Promise<UpdateOutcome<T>> {
    if (!this.local) return this.updateLoop(id, change, known);
    const { locks, cache } = this.local;
    return locks.run(id, async () => {
      // The writer before us in the queue may have stored a newer version than the one we read.
      const cached = cache.peek(id);
      const newest = cached && (!known || (cached.version ?? 0) > (known.version ?? 0)) ? cached : known;
      const outcome = await this.updateLoop(id, change, newest);
      if (outcome.status === 'written') cache.remember(outcome.record);
      return outcome;
    });
  }

  private async updateLoop<T>(
    id: string,
    change: (current: CustomerRecord) => { record: CustomerRecord; result: T } | null,
    known?: CustomerRecord,
  ): Promise<UpdateOutcome<T>> {
    let current: CustomerRecord | null = known ?? null;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      current ??= await this.customer(id);
      if (!current) return { status: 'missing' };
      if (current.mergedInto) return { status: 'merged', record: current };
      const changed = change(current);
      if (!changed) return { status: 'unchanged', record: current };
      const written = await this.replace(changed.record, current.version ?? 0);
      if (written) return { status: 'written', record: written, result: changed.result };
      current = null;
      await backoff(attempt);
    }
    throw new SourceError('singleview', 'unavailable', `customer ${id} kept changing under concurrent writes; retry the request`);
  }
}

export type UpdateOutcome<T> =
  | { readonly status: 'written'; readonly record: CustomerRecord; readonly result: T }
  | { readonly status: 'unchanged'; readonly record: CustomerRecord }
  | { readonly status: 'merged'; readonly record: CustomerRecord }
  | { readonly status: 'missing' };

/** The graph changed under a multi-step write; start it again from fresh reads. */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
}

/** Attempts before a write that keeps losing races gives up (SOURCE_UNAVAILABLE; the client may retry). */
export const MAX_ATTEMPTS = 40;

/** Full-jitter exponential backoff: racing writers spread out instead of colliding again. */
export async function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(250, 4 * 2 ** Math.min(attempt, 8));
  await sleep(Math.random() * ceiling);
}

/** Runs `attempt` again after a RetryLater, with backoff, up to MAX_ATTEMPTS times. */
export async function withRetries<T>(what: string, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 0; n < MAX_ATTEMPTS; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof RetryLater)) throw error;
      await backoff(n);
    }
  }
  throw new SourceError('singleview', 'unavailable', `${what} kept conflicting with concurrent writes; retry the request`);
}
