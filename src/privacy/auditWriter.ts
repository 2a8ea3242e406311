import DataLoader from 'dataloader';
import type { Span } from '@opentelemetry/api';
import type { SourceGuard } from '../../connectors/resilience/sourceGuard.js';
import type { AuditRecordModel, SingleViewPort } from '../../connectors/singleview/port.js';

/**
 * Writes audit records to the single view, several requests' records per
 * write: records handed in during the same turn of the event loop go out as
 * one BatchWriteItem (DataLoader's batching, without its cache). Each caller
 * still waits for its own record to be durable; a failed write fails every
 * record in it, and each of those responses fails closed.
 *
 * A write is not retried (SourceGuard treats it as non-idempotent): a caller
 * that cannot be sure its record landed withholds the data instead.
 */
interface PendingRecord {
  readonly record: AuditRecordModel;
  /** The request's operation span; a shared write is traced under the first request in it. */
  readonly parentSpan: Span | undefined;
}

export class AuditWriter {
  private readonly loader: DataLoader<PendingRecord, void>;

  constructor(
    private readonly store: Pick<SingleViewPort, 'appendAudits'>,
    private readonly guard: SourceGuard,
  ) {
    this.loader = new DataLoader((pending) => this.writeBatch(pending), {
      cache: false,
      maxBatchSize: 25,
      batchScheduleFn: (flush) => setImmediate(flush),
    });
  }

  /** Resolves once the record is stored; rejects with a SourceError when it is not. */
  write(record: AuditRecordModel, parentSpan?: Span): Promise<void> {
    return this.loader.load({ record, parentSpan });
  }

  private writeBatch(pending: readonly PendingRecord[]): Promise<Array<void | Error>> {
    const records = pending.map((entry) => entry.record);
    return this.guard.run(
      { operation: 'appendAudits', batchSize: records.length, idempotent: false, parentSpan: pending[0]?.parentSpan },
      (signal) => this.store.appendAudits(records, { signal }),
    );
  }
}
