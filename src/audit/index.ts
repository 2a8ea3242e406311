import type { Span } from '@opentelemetry/api';
import { systemClock } from '../identity/clock.js';
import type { Clock } from '../identity/clock.js';
import { SourceError } from '../../connectors/resilience/sourceError.js';
import { KEY_ADMIN_TRAIL, readRecords, writeRecord } from './records.js';
import type { AuditActor, AuditDetail, ReleasesByCustomer } from './records.js';
import type { AuditSink } from './writer.js';
import { ReadAudit } from './readAudit.js';
import type { AuditCompletions } from './readAudit.js';
import type { ReadIntent } from './intent.js';

export { MAX_OPERATION_LENGTH, KEY_ADMIN_TRAIL } from './records.js';
export type { AuditActor, AuditDetail, ReleasesByCustomer } from './records.js';
export { AuditWriter, directAuditSink } from './writer.js';
export { erasureRecord, suppressionLiftRecord } from './erasure.js';
export { suggestionDecision } from './suggestions.js';
export type { DecidedSuggestion, SuggestionSide } from './suggestions.js';
export type { AuditSink } from './writer.js';
export { AuditCompletions, ReadAudit, MAX_INTENT_CUSTOMERS } from './readAudit.js';
export { ReadIntents, templateOf } from './intent.js';
export type { ReadIntent } from './intent.js';

/**
 * The one way anything is written to the audit trail (docs/privacy.md,
 * "Audit"). Reads, consent changes, identity writes, erasure (and lifting
 * a suppression) and key administration each call one method; the records it builds are per
 * customer (a record never names another), bounded in size, and carry who,
 * why, when and the trace id, never a personal value. Every method resolves
 * once its records are durable and rejects when any of them is not: what a
 * caller then does (withhold the data, report the write) is its own rule,
 * stated per kind of write in docs/privacy.md.
 *
 *   const audit = new AuditLog(sink, clock);          // sink: AuditWriter (gateway), or directAuditSink (a command; a single view in memory)
 *   await audit.reads(actor, releases, span);          // a read's releases, written after it executed
 *   const read = audit.beginRead(actor, intent, span); // the privacy plugin: the record written beside the sources
 *   read?.expect(customerIds);                          //   (src/customers.ts, before reading them)
 *   await read?.complete(releases);                     //   before the response leaves; rejects: withhold
 *   await audit.appliedChanges(actor, [{ customerId, detail: { change: 'consent', purpose: 'MARKETING', status: 'DENIED' } }], span);
 *   await audit.keyAdministration(actor, keyId, { change: 'revoke' });
 *
 * The records of each kind of write are built by a function here
 * (suggestions.ts, erasure.ts) or in the write path's own step, always as
 * `{ customerId, detail }` entries for `appliedChanges` (or `changes`, for a
 * write recorded before it is made: liftSuppression).
 *
 * A new write path calls `appliedChanges` once its change has landed (or
 * `change`/`changes` when it handles the failure itself). Operation names are
 * bounded before a request runs (operationName.ts, an Apollo plugin).
 */
export class AuditLog {
  constructor(
    private readonly sink: AuditSink,
    private readonly clock: Clock = systemClock,
    /** Where reads' records are completed after their responses left (the gateway); without it, reads are written by `reads` alone. */
    private readonly completions?: AuditCompletions,
  ) {}

  /**
   * A read's audit, begun as it starts executing (the privacy plugin), so
   * that its intent records are written beside its source calls
   * (readAudit.ts); undefined without a completion lane (then `reads`).
   */
  beginRead(actor: AuditActor, intent: ReadIntent, span?: Span): ReadAudit | undefined {
    if (!this.completions) return undefined;
    // An intent is a second write per read (the intent, then its completion). It saves a round of
    // latency only while the audit writer is idle: when writes are already in flight or waiting, the
    // read's one exact record joins the next group commit after its sources answered, and an intent
    // would double the writes exactly when the store is busiest.
    if (this.sink.idle === false) return undefined;
    return new ReadAudit(this.sink, this.completions, actor, intent, this.now(), span);
  }

  /** Whether reads' intent records are written beside their sources (beginRead), so that their intents are worth working out. */
  get writesIntents(): boolean {
    return this.completions !== undefined;
  }

  /** Resolves once this instance's pending completions of reads of this customer are written (or have failed): `auditTrail` reads after them. */
  settled(customerId: string): Promise<void> {
    return this.completions?.settled(customerId) ?? Promise.resolve();
  }

  /** Released personal fields of one response: one record per customer, split when large. */
  reads(actor: AuditActor, releases: ReleasesByCustomer, span?: Span): Promise<void> {
    return this.sink.write(readRecords(actor, releases, this.now()), span);
  }

  /** A write that changed one customer (consent, link, merge, unmerge, erasure); `detail` holds counts and types. */
  change(actor: AuditActor, customerId: string, detail: AuditDetail, span?: Span): Promise<void> {
    return this.changes(actor, [{ customerId, detail }], span);
  }

  /** One write that changed several customers: a record on each one's trail, each naming only that customer. */
  changes(actor: AuditActor, entries: ReadonlyArray<{ readonly customerId: string; readonly detail: AuditDetail }>, span?: Span): Promise<void> {
    const at = this.now();
    return this.sink.write(
      entries.map((entry) => writeRecord(actor, entry.customerId, entry.detail, at)),
      span,
    );
  }

  /**
   * For a write that has already landed (consent, identity, erasure): its
   * records, and if they cannot be written, a SourceError that says the
   * change stands, so the caller is told the record is missing.
   */
  async appliedChanges(actor: AuditActor, entries: ReadonlyArray<{ readonly customerId: string; readonly detail: AuditDetail }>, span?: Span): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.changes(actor, entries, span);
    } catch (error) {
      const cause = error instanceof SourceError ? error.message : 'the write failed';
      throw new SourceError('singleview', error instanceof SourceError ? error.failure : 'unavailable', `${actor.operation} was applied, but its audit record could not be written (${cause})`, {
        cause: error,
      });
    }
  }

  /** A key created, revoked or rotated, on the key administration trail (not a customer's). */
  keyAdministration(actor: AuditActor, keyId: string, detail: AuditDetail): Promise<void> {
    return this.sink.write([writeRecord(actor, KEY_ADMIN_TRAIL, { keyId, ...detail }, this.now())]);
  }

  /** The last time written and its text: requests of one millisecond share it. */
  private lastMs = Number.NaN;
  private lastText = '';

  private now(): string {
    // The system clock is read as a number: a Date is made (and formatted) only when the millisecond changed.
    const ms = this.clock === systemClock ? Date.now() : this.clock().getTime();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastText = new Date(ms).toISOString();
    }
    return this.lastText;
  }
}
