import { z } from 'zod';
import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import { SEGMENT_INDEX_SHARDS, dueBucket } from '../../connectors/singleview/segmentIndex.js';
import type { Clock } from '../identity/clock.js';
import { WriteStore } from '../identity/store.js';
import type { SegmentCatalog } from './catalog.js';
import { DUE_WATERMARK_JOB, SEGMENT_WORKER_PARALLELISM, STALE_MARK, chunks } from './changeFeed.js';
import { evaluateMemberships, sameMemberships } from './evaluate.js';

export interface DueRun {
  /** Due items read: each is one customer evaluated. */
  readonly evaluated: number;
  /** Customers whose memberships changed. */
  readonly changed: number;
  /** Hour buckets looked at, from the watermark to the current hour. */
  readonly buckets: number;
}

const HOUR = 3_600_000;
const watermarkSchema = z.object({ from: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d$/) });

/** The hour bucket after `bucket`. */
function nextBucket(bucket: string): string {
  return dueBucket(new Date(Date.parse(`${bucket}:00:00.000Z`) + HOUR).toISOString());
}

/**
 * The time-based part of a segments run: evaluates only the customers whose
 * due time has come (due items up to now, from the watermark's hour bucket to
 * the current one, every shard), never scanning the customers. Each due
 * customer is re-evaluated against every segment and written with a fresh
 * index mark, so the change feed reschedules it (or takes it out of the
 * index); then its due item is deleted. A past bucket found empty moves the
 * watermark past it. The writes go through `singleView` as given: pass the
 * port with the change feed (withSegmentChangeFeed).
 */
export async function evaluateDueSegments(deps: {
  readonly singleView: SingleViewPort;
  readonly segments: SegmentCatalog;
  readonly clock: Clock;
  readonly pageSize?: number;
  readonly options?: CallOptions;
  /** Asked between pages: true stops the run where it is (the next run continues from the due items left). */
  readonly shouldStop?: () => boolean;
}): Promise<DueRun> {
  const port = deps.singleView;
  const store = new WriteStore(port, deps.options?.parentSpan);
  const specs = deps.segments.all();
  const started = deps.clock();
  const current = dueBucket(started.toISOString());
  const job = await port.getSegmentJob(DUE_WATERMARK_JOB, deps.options);
  let watermark = job ? watermarkSchema.parse(JSON.parse(job.body)).from : current;
  let revision = job?.revision ?? null;
  let evaluated = 0;
  let changed = 0;
  let buckets = 0;
  for (let bucket = watermark; bucket <= current; bucket = nextBucket(bucket)) {
    buckets += 1;
    for (let shard = 0; shard < SEGMENT_INDEX_SHARDS; shard += 1) {
      for (;;) {
        if (deps.shouldStop?.()) return { evaluated, changed, buckets };
        const due = await port.listDueCustomers(bucket, shard, started.toISOString(), deps.pageSize ?? 100, deps.options);
        if (due.length === 0) break;
        for (const chunk of chunks(due, SEGMENT_WORKER_PARALLELISM)) {
          await Promise.all(
            chunk.map(async (item) => {
              evaluated += 1;
              const outcome = await store.update(item.customerId, (record) => {
                const now = deps.clock();
                const segments = evaluateMemberships(specs, { traits: record.traits, consents: record.consents, lastEventAt: record.lastEventAt ?? {} }, record.segments, now);
                // A stale mark: the change feed announces the customer again and the worker writes its next due time.
                return { record: { ...record, segments, segmentIndex: STALE_MARK }, result: !sameMemberships(segments, record.segments) };
              });
              if (outcome.status === 'written' && outcome.result) changed += 1;
              await port.writeSegmentIndex({ deleteDue: [item] }, deps.options);
            }),
          );
        }
      }
    }
    // Past hours get no new items (a late due time goes into the current hour): the watermark may pass them.
    if (bucket < current && bucket === watermark) {
      const body = JSON.stringify({ from: nextBucket(bucket) });
      if ((await port.putSegmentJob({ id: DUE_WATERMARK_JOB, revision: (revision ?? 0) + 1, body }, revision, deps.options)) === 'written') {
        revision = (revision ?? 0) + 1;
        watermark = nextBucket(bucket);
      }
    }
  }
  return { evaluated, changed, buckets };
}
