import type { CustomerRecord, EventRecord, IdentityKey } from '../domain/index.js';
import { identityIndexKey } from '../domain/index.js';
import { withSegments } from '../segments/evaluate.js';
import { applyEvent } from './records.js';
import type { WriteScope } from './scope.js';
import { splitHolds } from './unmerge.js';

/** What applying one event to its customer came to. */
export type AppliedEvent =
  | { readonly status: 'written'; readonly record: CustomerRecord }
  /** Not applied: the customer was absorbed, erased, or its identifier is being split off since it was read. */
  | { readonly status: 'merged' | 'missing' | 'split' };

/**
 * Most events one customer write applies. A customer write is one item
 * whatever the number of events; the bound keeps one batch's wait and its
 * retries short when a hot customer has many waiting.
 */
export const MAX_EVENTS_PER_WRITE = 100;

interface Waiting {
  readonly event: EventRecord;
  readonly key: IdentityKey;
  resolve(applied: AppliedEvent): void;
  reject(error: unknown): void;
}

interface Batch {
  scope: WriteScope;
  known: CustomerRecord;
  readonly events: Waiting[];
}

/**
 * The customer side of `track` (traits, latest event times, the identifier's
 * last sighting, real-time segments), applied per customer in batches: while
 * one conditional write of a customer is in flight in this process, the
 * events of that customer that arrive wait and are then applied together, in
 * one read-change-write under the customer's version (src/identity/store.ts:
 * bounded retries, the process's per-customer lock). A customer receiving
 * hundreds of events a second costs this process about one write per round
 * trip, not one per event; another instance's writes are kept apart by the
 * version check, and a batch that loses the race is applied again, whole,
 * on the version that won.
 */
export class CustomerEventBatches {
  /** Per customer, the batches waiting for its write in flight, oldest first; only the last one takes more events. */
  private readonly waiting = new Map<string, Batch[]>();
  private readonly writing = new Set<string>();

  /** Resolves once the event is part of the customer as stored, or tells why it is not. */
  apply(scope: WriteScope, known: CustomerRecord, event: EventRecord, key: IdentityKey): Promise<AppliedEvent> {
    return new Promise<AppliedEvent>((resolve, reject) => {
      const line = this.waiting.get(known.id) ?? [];
      this.waiting.set(known.id, line);
      let batch = line.at(-1);
      if (!batch || batch.events.length >= MAX_EVENTS_PER_WRITE) {
        batch = { scope, known, events: [] };
        line.push(batch);
      } else if (newerRecord(known, batch.known)) {
        batch.known = known;
      }
      batch.events.push({ event, key, resolve, reject });
      if (!this.writing.has(known.id)) this.start(known.id);
    });
  }

  /** Customers with a write in flight, and events waiting for one. */
  get pending(): { readonly writing: number; readonly waiting: number } {
    let waiting = 0;
    for (const line of this.waiting.values()) for (const batch of line) waiting += batch.events.length;
    return { writing: this.writing.size, waiting };
  }

  private start(id: string): void {
    this.writing.add(id);
    // After this turn's promise jobs, so events that arrive in the same turn go in the same write.
    void Promise.resolve().then(() =>
      process.nextTick(() => {
        const line = this.waiting.get(id);
        const batch = line?.shift();
        if (line?.length === 0) this.waiting.delete(id);
        if (!batch) {
          this.writing.delete(id);
          return;
        }
        void this.write(id, batch).finally(() => {
          this.writing.delete(id);
          if (this.waiting.has(id)) this.start(id);
        });
      }),
    );
  }

  private async write(id: string, batch: Batch): Promise<void> {
    const { scope, events } = batch;
    const specs = scope.services.segments.realtime();
    const now = scope.now();
    let applied: readonly Waiting[] = [];
    try {
      const outcome = await scope.store.update(
        id,
        (current) => {
          applied = events.filter((waiting) => !splitHolds(current, { key: identityIndexKey(waiting.key) }));
          if (applied.length === 0) return null;
          const next = applied.reduce((record, waiting) => applyEvent(record, waiting.event, waiting.key), current);
          return { record: { ...next, segments: withSegments(next, specs, now) }, result: null };
        },
        batch.known,
        // Traits, latest event times, last sightings and segments only: one UpdateItem of the customer's activity.
        { activityOnly: true },
      );
      for (const waiting of events) {
        if (outcome.status === 'written' && applied.includes(waiting)) waiting.resolve({ status: 'written', record: outcome.record });
        else waiting.resolve({ status: outcome.status === 'merged' || outcome.status === 'missing' ? outcome.status : 'split' });
      }
    } catch (error) {
      for (const waiting of events) waiting.reject(error);
    }
  }
}

function newerRecord(a: CustomerRecord, b: CustomerRecord): boolean {
  const [va, vb] = [a.version ?? 0, b.version ?? 0];
  return va !== vb ? va > vb : (a.activityRevision ?? -1) > (b.activityRevision ?? -1);
}

const batchesByServices = new WeakMap<object, CustomerEventBatches>();

/** The batches of one gateway's write path (one per IdentityServices, so one per process in production). */
export function customerEventBatches(scope: WriteScope): CustomerEventBatches {
  let batches = batchesByServices.get(scope.services);
  if (!batches) {
    batches = new CustomerEventBatches();
    batchesByServices.set(scope.services, batches);
  }
  return batches;
}
