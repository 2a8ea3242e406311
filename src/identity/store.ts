import type { Span } from '@opentelemetry/api';
import { boundedRetry, errorsOf } from '../../connectors/resilience/boundedRetry.js';
import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import { SourceError } from '../../connectors/resilience/sourceError.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import type { CustomerRecord } from '../domain/index.js';
import { sameActivity } from '../../connectors/singleview/customerActivity.js';
import { asWritten } from '../segments/changeFeed.js';
import type { CustomerCache } from './cache.js';
import { newToken } from './ids.js';
import type { KeyedLock } from './keyedLock.js';

/**
 * The single view as the write path uses it: a guarded port (src/sources.ts
 * wraps it once: deadline, breaker, span, reads retried, writes attempted
 * once) and the request's span, which every call names in `call`.
 * Conditional writes answer `conflict` rather than throw, so lost races
 * never open the circuit; a lost race is retried here, by `conflictRetry`.
 */
export class WriteStore {
  /** The options every call through this store passes: the span its source calls go under. */
  readonly call: CallOptions;

  constructor(
    readonly port: SingleViewPort,
    parentSpan?: Span,
    private readonly local?: { readonly locks: KeyedLock; readonly cache: CustomerCache },
  ) {
    this.call = { parentSpan };
  }

  /** Strongly consistent reads, as writers need before a conditional write. */
  async customers(ids: readonly string[]): Promise<Map<string, CustomerRecord>> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return new Map();
    const records = await this.port.getCustomers(unique, { ...this.call, consistent: true });
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
  async replace(next: CustomerRecord, expectedVersion: number, read?: CustomerRecord): Promise<CustomerRecord | null> {
    const record = { ...next, version: expectedVersion + 1, writeToken: newToken() };
    // A change that leaves the activity as read (connectors/singleview/customerActivity.ts) is one write that keeps a
    // concurrent `track`; any other moves the activity revision on by one, so no `track` based on the read can land.
    const keeping = read !== undefined && keepsActivity(read, next);
    const revised = (written: CustomerRecord) => (keeping ? written : { ...written, activityRevision: (next.activityRevision ?? -1) + 1 });
    try {
      const outcome = keeping
        ? await this.port.replaceCustomerKeepingActivity(record, expectedVersion, this.call)
        : await this.port.replaceCustomer(record, expectedVersion, this.call);
      // As stored: with the segment index mark the change feed put on it, if it did.
      return outcome === 'written' ? revised(asWritten(record)) : null;
    } catch (error) {
      if (!(error instanceof SourceError) || error.failure !== 'timeout') throw error;
      const stored = await this.customer(record.id);
      return stored?.writeToken === record.writeToken ? revised(asWritten(record)) : null;
    }
  }

  /**
   * Writes the activity of `next` (what a `track` changes: traits, latest
   * event times, last sightings, segments) alone, over the version and
   * activity revision of `current`: one conditional UpdateItem of a small
   * item, not a write of the whole customer. A timeout is settled by the
   * write token, as in `replace`.
   */
  async replaceActivity(next: CustomerRecord, current: CustomerRecord): Promise<CustomerRecord | null> {
    const revision = current.activityRevision ?? 0;
    const record = { ...next, version: current.version ?? 0, activityRevision: revision + 1, writeToken: newToken() };
    try {
      const outcome = await this.port.updateCustomerActivity(record, { version: current.version ?? 0, activityRevision: revision }, this.call);
      return outcome === 'written' ? asWritten(record) : null;
    } catch (error) {
      if (!(error instanceof SourceError) || error.failure !== 'timeout') throw error;
      const stored = await this.customer(record.id);
      return stored?.writeToken === record.writeToken ? asWritten(record) : null;
    }
  }

  /**
   * Read, change, write under the version read, again on a lost race (within
   * `conflictRetry`'s bound). Stops without writing when the customer is gone
   * or absorbed by a merge (the caller decides what that means) or when
   * `change` returns null (nothing to do).
   */
  async update<T>(
    id: string,
    change: (current: CustomerRecord) => { record: CustomerRecord; result: T } | null,
    known?: CustomerRecord,
    options: UpdateOptions = {},
  ): Promise<UpdateOutcome<T>> {
    if (!this.local) return this.updateUntilWritten(id, change, known, options);
    const { locks, cache } = this.local;
    return locks.run(id, async () => {
      // The writer before us in the queue may have stored a newer version than the one we read.
      const cached = cache.peek(id);
      const newest = cached && (!known || newer(cached, known)) ? cached : known;
      const outcome = await this.updateUntilWritten(id, change, newest, options);
      if (outcome.status === 'written') cache.remember(outcome.record);
      return outcome;
    });
  }

  private updateUntilWritten<T>(
    id: string,
    change: (current: CustomerRecord) => { record: CustomerRecord; result: T } | null,
    known: CustomerRecord | undefined,
    options: UpdateOptions,
  ): Promise<UpdateOutcome<T>> {
    let current: CustomerRecord | null = known ?? null;
    let activityConflicts = 0;
    return retryOn(VersionConflict, 'updating a customer', async () => {
      current ??= await this.customer(id);
      if (!current) return { status: 'missing' };
      if (current.mergedInto) return { status: 'merged', record: current };
      const changed = change(current);
      if (!changed) return { status: 'unchanged', record: current };
      // The activity alone when that is all that changes and the customer keeps it apart; after a few lost
      // races in a row, the whole customer (which also takes over a floor left by a writer that died).
      const activityOnly = options.activityOnly && current.activityRevision !== undefined && activityConflicts < ACTIVITY_ATTEMPTS;
      const written = activityOnly ? await this.replaceActivity(changed.record, current) : await this.replace(changed.record, current.version ?? 0, current);
      if (written) return { status: 'written', record: written, result: changed.result };
      if (activityOnly) activityConflicts += 1;
      current = null;
      throw new VersionConflict('the customer changed since it was read');
    });
  }
}

export interface UpdateOptions {
  /** The change touches only the customer's activity (a `track`): written with `replaceActivity`. */
  readonly activityOnly?: boolean;
}

/** Lost races of an activity update in a row before the update writes the whole customer instead. */
const ACTIVITY_ATTEMPTS = 4;

/**
 * Whether a change leaves what a `track` reads and writes as it was: the
 * activity, the merge pointer and the split marker. Such a replace need not
 * hold `track`s back.
 */
function keepsActivity(read: CustomerRecord, next: CustomerRecord): boolean {
  if (read.activityRevision === undefined || (read.mergedInto ?? null) !== (next.mergedInto ?? null)) return false;
  if (JSON.stringify(read.split ?? null) !== JSON.stringify(next.split ?? null)) return false;
  return sameActivity(read, next);
}

/** Whether `a` was stored after `b`: a later version, or the same version with a later activity revision. */
function newer(a: CustomerRecord, b: CustomerRecord): boolean {
  const [va, vb] = [a.version ?? 0, b.version ?? 0];
  return va !== vb ? va > vb : (a.activityRevision ?? -1) > (b.activityRevision ?? -1);
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

/** A conditional write of one customer found another version stored: read it again and redo the change. */
class VersionConflict extends Error {
  override readonly name = 'VersionConflict';
}

/** Attempts before a write that keeps losing races gives up (SOURCE_UNAVAILABLE; the client may retry). */
export const MAX_ATTEMPTS = 40;

/**
 * Runs `attempt` again after an error of type `conflict`, up to MAX_ATTEMPTS
 * times (connectors/resilience/boundedRetry.ts: exponential backoff with
 * decorrelated jitter), so racing writers spread out instead of colliding again. Past
 * the bound the write fails as SOURCE_UNAVAILABLE.
 */
function retryOn<T>(conflict: new (message: string) => Error, what: string, attempt: (n: number) => Promise<T>): Promise<T> {
  return boundedRetry(
    {
      attempts: MAX_ATTEMPTS,
      initialDelayMs: 4,
      maxDelayMs: 250,
      retryOn: errorsOf(conflict),
      exhausted: () => new SourceError('singleview', 'unavailable', `${what} kept conflicting with concurrent writes; retry the request`),
    },
    attempt,
  );
}

/** Runs a multi-step write again from fresh reads after a RetryLater (retryOn's bound and backoff). */
export function withRetries<T>(what: string, attempt: (n: number) => Promise<T>): Promise<T> {
  return retryOn(RetryLater, what, attempt);
}
