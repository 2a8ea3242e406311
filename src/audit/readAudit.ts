import type { Span } from '@opentelemetry/api';
import type { AuditPort } from '../../connectors/singleview/port.js';
import type { AuditPosition, AuditRecordModel } from '../domain/index.js';
import type { ReadIntent } from './intent.js';
import { UNKNOWN_OWNER_TRAIL, intentRecord, readRecords } from './records.js';
import type { AuditActor, ReleasesByCustomer } from './records.js';
import type { AuditSink } from './writer.js';

/** Customers one read writes intent records for; a read of more (a partner's batch) waits for its full records, as one write. */
export const MAX_INTENT_CUSTOMERS = 25;

type Removal = { readonly customerId: string } & AuditPosition;

interface Intent {
  readonly id: string;
  /** Settles when the intent's write has: never rejects. */
  written: Promise<void>;
  failure: unknown;
  ok: boolean;
}

/**
 * The audit of one read, written beside its source calls (docs/security.md,
 * "Fail closed"). When the read is about to read a customer (src/customers.ts),
 * an intent record goes to that customer's trail at once: who, why, the
 * operation, and every field the operation may release, as path templates
 * (src/audit/intent.ts). The response waits for the intents. Then:
 *
 * - every release is covered by its customer's durable intent: the response
 *   leaves, and each intent is replaced by the exact record of what was
 *   released (same id and time, so the same item), or removed when nothing
 *   of that customer was released, in the background (AuditCompletions);
 * - a release is not covered (a customer read without an intent: a merge's
 *   survivor found late, an owner the read did not announce, a read of more than
 *   MAX_INTENT_CUSTOMERS customers): the response waits for the exact records,
 *   as before intents existed;
 * - an intent that a release needs failed, or the exact records cannot be
 *   written: `complete` rejects, and the caller withholds every release.
 *
 * If a completion is lost (the process stops, the write fails), the intent
 * stays: a record of a read that may have released more than it did, never
 * less.
 */
export class ReadAudit {
  private readonly intents = new Map<string, Intent>();
  private readonly at: string;
  private readonly intentFields: ReadIntent['fields'];

  constructor(
    private readonly held: AuditSink,
    private readonly completions: AuditCompletions,
    private readonly actor: AuditActor,
    private readonly intent: ReadIntent,
    now: string,
    private readonly span?: Span,
  ) {
    this.at = now;
    this.intentFields = intent.fields;
  }

  /**
   * Customers the read is about to read: an intent record for each one not
   * yet announced, handed to the audit writer once the reads started beside
   * it have gone out (afterReadsLeave), so that the store serves the reads
   * first and the response is put together while the intent is written.
   */
  expect(customerIds: readonly string[]): void {
    const records: AuditRecordModel[] = [];
    const entries: Intent[] = [];
    for (const customerId of customerIds) {
      if (this.intents.has(customerId) || this.intents.size >= MAX_INTENT_CUSTOMERS) continue;
      const record = intentRecord(this.actor, customerId, this.intentFields, this.at);
      if (!record) break; // the same for every customer: too many templates for one record
      records.push(record);
      const entry: Intent = { id: record.id, written: Promise.resolve(), failure: undefined, ok: false };
      entries.push(entry);
      this.intents.set(customerId, entry);
    }
    if (records.length === 0) return;
    const written = new Promise<void>((resolve) =>
      afterReadsLeave(() => {
        this.held.write(records, this.span).then(
          () => {
            for (const entry of entries) entry.ok = true;
            resolve();
          },
          (error: unknown) => {
            for (const entry of entries) entry.failure = error;
            resolve();
          },
        );
      }),
    );
    for (const entry of entries) entry.written = written;
  }

  /**
   * The response's releases, once decided: resolves when the response may
   * leave (every release covered by a durable record), rejects when it may
   * not (the caller withholds every release, then calls `abandon`).
   */
  async complete(releases: ReleasesByCustomer): Promise<void> {
    await Promise.all([...this.intents.values()].map((intent) => intent.written));
    const released = new Set<string>();
    let waits = false;
    for (const [customerId, fields] of releases) {
      if (fields.length === 0) continue;
      const owner = customerId ?? UNKNOWN_OWNER_TRAIL;
      released.add(owner);
      const intent = this.intents.get(owner);
      if (intent && !intent.ok) throw intent.failure;
      if (!intent || fields.some((field) => !this.intent.covers(field))) waits = true;
    }
    const firstIds = new Map([...this.intents].map(([customerId, intent]) => [customerId, intent.id]));
    const records = readRecords(this.actor, releases, this.at, firstIds);
    const removals = this.removals((customerId) => !released.has(customerId));
    if (waits) {
      await this.held.write(records, this.span);
      this.completions.complete([], removals, this.span);
    } else {
      this.completions.complete(records, removals, this.span);
    }
  }

  /** Nothing was released after all (withheld, or nothing personal answered): every intent is removed, in the background. */
  abandon(): void {
    if (this.intents.size === 0) return;
    this.completions.complete([], this.removals(() => true), this.span, Promise.all([...this.intents.values()].map((intent) => intent.written)));
  }

  /** Intents to take back: those that may have been written (a failed write may still have landed). */
  private removals(which: (customerId: string) => boolean): Removal[] {
    return [...this.intents].filter(([customerId]) => which(customerId)).map(([customerId, intent]) => ({ customerId, at: this.at, id: intent.id }));
  }
}

/**
 * Runs `write` once the source calls started in this turn of the event loop
 * have been sent: DataLoader dispatches the request's batches on the next
 * tick, and the single view gathers its customer reads in an immediate of
 * its own (connectors/singleview/dynamodb.ts), so two immediates on. With
 * the intent written first, the store (dynalite serves one call at a time on
 * its thread) answered the reads only after the write, and the response
 * waited for the reads and then for its own assembly; written after them, the
 * response is put together while the intent is written. Nothing waits on the
 * intent until `complete`, which awaits it.
 */
function afterReadsLeave(write: () => void): void {
  setImmediate(() => setImmediate(write));
}

/**
 * The writes that complete reads after their responses left: in a write slot
 * of their own (a second AuditWriter), so that they never hold up a
 * response's intent, and remembered per customer until written, so that
 * `auditTrail` on this instance answers after them (`settled`). A failed
 * completion leaves the intent in place and is logged (`onFailure`).
 */
export class AuditCompletions {
  private readonly pending = new Map<string, Set<Promise<void>>>();

  constructor(
    private readonly sink: AuditSink,
    private readonly store: Pick<AuditPort, 'removeAudits'>,
    private readonly onFailure: (error: unknown, records: number) => void,
  ) {}

  /** Writes `records` and removes `removals` (once `after` has settled: the intents they replace are written). */
  complete(records: readonly AuditRecordModel[], removals: readonly Removal[], span?: Span, after?: Promise<unknown>): void {
    if (records.length === 0 && removals.length === 0) return;
    const work = Promise.resolve(after)
      .then(() =>
        Promise.all([
          records.length > 0 ? this.sink.write(records, span) : undefined,
          removals.length > 0 ? this.store.removeAudits(removals, { parentSpan: span }) : undefined,
        ]),
      )
      .then(
        () => undefined,
        (error: unknown) => this.onFailure(error, records.length + removals.length),
      );
    const customers = new Set([...records.flatMap((record) => record.customerIds), ...removals.map((removal) => removal.customerId)]);
    for (const customerId of customers) {
      let set = this.pending.get(customerId);
      if (!set) this.pending.set(customerId, (set = new Set()));
      set.add(work);
    }
    void work.then(() => {
      for (const customerId of customers) {
        const set = this.pending.get(customerId);
        set?.delete(work);
        if (set?.size === 0) this.pending.delete(customerId);
      }
    });
  }

  /** Resolves once every completion this instance started for this customer has been written or has failed. */
  async settled(customerId: string): Promise<void> {
    const set = this.pending.get(customerId);
    if (set) await Promise.all([...set]);
  }

  /** Every completion started so far, written or failed (graceful shutdown). */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending.values()].flatMap((set) => [...set]));
  }
}
