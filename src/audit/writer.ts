import type { Span } from '@opentelemetry/api';
import type { AuditRecordModel } from '../domain/index.js';
import type { AuditPort } from '../../connectors/singleview/port.js';

/** Items per write: one BatchWriteItem holds 25. */
const MAX_BATCH = 25;
/** Writes in flight at once. More would shrink the batches; fewer would let one slow write hold up all. */
const MAX_IN_FLIGHT = 1;

export interface AuditWriterOptions {
  /**
   * How long records wait for others to share their write when the slot is
   * free (0: none, they go out at once). Only for writes nobody waits on:
   * the completions of reads whose responses have left (readAudit.ts).
   */
  readonly lingerMs?: number;
}

/** Where records go: the gateway's group-committing writer, or a store written directly (the keys command). */
export interface AuditSink {
  /** Resolves once every record is stored; rejects when any of them is not. */
  write(records: readonly AuditRecordModel[], parentSpan?: Span): Promise<void>;
  /** Whether a write handed over now would go out at once (nothing in flight or waiting); undefined when the sink cannot tell. */
  readonly idle?: boolean;
}

interface PendingWrite {
  readonly records: readonly AuditRecordModel[];
  /** The request's operation span; a shared write is traced under the first request in it. */
  readonly parentSpan: Span | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Writes audit records to the single view with group commit: a request's
 * records go out at once when a write slot is free, and those of requests
 * that arrive while the slot is busy wait and go out together in the next
 * write. Under light load nothing waits; under heavy load one BatchWriteItem
 * carries many responses' records. Each caller waits for its own records.
 *
 * One request's failure is its own: the store answers per record (an
 * oversized one fails alone), and when a shared write fails as a whole, each
 * request's records are written again on their own, so only the request
 * whose write really fails is told so (and its response fails closed).
 *
 * The write goes through the single view's guarded port (src/sources.ts:
 * deadline, breaker, span) and may be retried within the deadline: every record has its own id
 * and lands under the same key with the same content however often it is
 * written, so a retry after a dropped connection cannot duplicate it.
 */
export class AuditWriter implements AuditSink {
  private readonly queue: PendingWrite[] = [];
  private inFlight = 0;
  private readonly writes = new Set<Promise<void>>();
  private readonly lingerMs: number;
  /** Set while records wait out the linger; they go out when it ends, when they fill a write, or on flush. */
  private lingering: NodeJS.Timeout | undefined;
  /** The linger ran out: what waits goes out with the next pump. */
  private lingered = false;
  private flushing = 0;

  constructor(
    private readonly store: Pick<AuditPort, 'appendAudits'>,
    options: AuditWriterOptions = {},
  ) {
    this.lingerMs = options.lingerMs ?? 0;
  }

  get idle(): boolean {
    return this.inFlight === 0 && this.queue.length === 0;
  }

  write(records: readonly AuditRecordModel[], parentSpan?: Span): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, parentSpan, resolve, reject });
      this.pump();
    });
  }

  /** Resolves once every record handed over so far is written or has failed (graceful shutdown). */
  async flush(): Promise<void> {
    this.flushing += 1;
    try {
      this.pump();
      while (this.writes.size > 0) await Promise.allSettled([...this.writes]);
    } finally {
      this.flushing -= 1;
    }
  }

  private pump(): void {
    // With a linger, records that do not fill a write wait for others first (one timer, started by the first of them).
    if (this.lingerMs > 0 && !this.lingered && this.flushing === 0 && this.inFlight === 0 && this.queue.length > 0 && this.queuedRecords() < MAX_BATCH) {
      this.lingering ??= setTimeout(() => {
        this.lingering = undefined;
        this.lingered = true;
        this.pump();
      }, this.lingerMs).unref();
      return;
    }
    if (this.lingering !== undefined) {
      clearTimeout(this.lingering);
      this.lingering = undefined;
    }
    this.lingered = false;
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const batch = this.nextBatch();
      this.inFlight += 1;
      const write = this.writeBatch(batch).finally(() => {
        this.inFlight -= 1;
        this.writes.delete(write);
        this.pump();
      });
      this.writes.add(write);
    }
  }

  private queuedRecords(): number {
    let records = 0;
    for (const pending of this.queue) records += pending.records.length;
    return records;
  }

  /** Whole requests, up to MAX_BATCH records (a request with more goes alone). */
  private nextBatch(): PendingWrite[] {
    const batch = [this.queue.shift()!];
    let items = batch[0]!.records.length;
    while (this.queue.length > 0 && items + this.queue[0]!.records.length <= MAX_BATCH) {
      const next = this.queue.shift()!;
      items += next.records.length;
      batch.push(next);
    }
    return batch;
  }

  private async writeBatch(batch: readonly PendingWrite[]): Promise<void> {
    try {
      const results = await this.append(batch.flatMap((pending) => pending.records), batch[0]?.parentSpan);
      let at = 0;
      for (const pending of batch) {
        const mine = results.slice(at, at + pending.records.length);
        at += pending.records.length;
        const failed = mine.find((result): result is Error => result instanceof Error);
        if (failed) pending.reject(failed);
        else pending.resolve();
      }
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // A shared write failed as a whole: each request's records on their own, so one bad record fails only its request.
      await Promise.all(batch.map((pending) => this.writeBatch([pending])));
    }
  }

  private append(records: readonly AuditRecordModel[], parentSpan: Span | undefined): Promise<Array<void | Error>> {
    return this.store.appendAudits(records, { parentSpan });
  }
}

/** Records written straight to the store: for a command outside the gateway (npm run keys), and for a single view in this process's memory (nothing to group). */
export function directAuditSink(store: Pick<AuditPort, 'appendAudits'>): AuditSink {
  return {
    async write(records, parentSpan) {
      // Under the request's span, as the writer's batches are: the store call's span is part of the read's trace.
      const results = await store.appendAudits(records, { parentSpan });
      const failed = results.find((result): result is Error => result instanceof Error);
      if (failed) throw failed;
    },
  };
}
