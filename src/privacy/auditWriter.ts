import type { Span } from '@opentelemetry/api';
import type { SourceGuard } from '../../connectors/resilience/sourceGuard.js';
import type { AuditRecordModel, SingleViewPort } from '../../connectors/singleview/port.js';

/** Records per write: one BatchWriteItem holds 25 items, and most records concern one customer. */
const MAX_BATCH = 25;
/** Writes in flight at once. More would shrink the batches; fewer would let one slow write hold up all. */
const MAX_IN_FLIGHT = 1;

interface PendingRecord {
  readonly record: AuditRecordModel;
  /** The request's operation span; a shared write is traced under the first request in it. */
  readonly parentSpan: Span | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Writes audit records to the single view with group commit: a record
 * goes out at once when a write slot is free, and records that arrive
 * while the slots are busy wait and go out together in the next write.
 * Under light load nothing waits; under heavy load one BatchWriteItem
 * carries many responses' records, and the cost of a write (which is
 * almost all per call, not per item) is shared. Each caller still waits
 * for its own record to be durable; a failed write fails every record in
 * it, and each of those responses fails closed.
 *
 * (DataLoader batches by tick, which under load gives batches of two or
 * three; this batches by "while the previous write was on the wire".)
 *
 * The write goes through the single view's SourceGuard (deadline, breaker,
 * span) and may be retried within the deadline: every record has its own id
 * and lands under the same key with the same content however often it is
 * written, so a retry after a dropped connection cannot duplicate it. When
 * the deadline passes without a confirmed write, the callers withhold the
 * data instead.
 */
export class AuditWriter {
  private readonly queue: PendingRecord[] = [];
  private inFlight = 0;
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly store: Pick<SingleViewPort, 'appendAudits'>,
    private readonly guard: SourceGuard,
  ) {}

  /** Resolves once the record is stored; rejects with a SourceError when it is not. */
  write(record: AuditRecordModel, parentSpan?: Span): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, parentSpan, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
      this.inFlight += 1;
      const write = this.writeBatch(batch).finally(() => {
        this.inFlight -= 1;
        this.writes.delete(write);
        this.pump();
      });
      this.writes.add(write);
    }
  }

  /** Resolves once every record handed over so far is written or has failed (graceful shutdown). */
  async flush(): Promise<void> {
    while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
  }

  private async writeBatch(batch: readonly PendingRecord[]): Promise<void> {
    try {
      const results = await this.guard.run(
        { operation: 'appendAudits', batchSize: batch.length, idempotent: true, parentSpan: batch[0]?.parentSpan },
        (signal) => this.store.appendAudits(batch.map((pending) => pending.record), { signal }),
      );
      batch.forEach((pending, i) => {
        const result = results[i];
        if (result instanceof Error) pending.reject(result);
        else pending.resolve();
      });
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }
}
