import type { BulkLoad, BulkLoadPort, SegmentIndexPort } from '../../connectors/singleview/port.js';
import type { SegmentDueRecord, SegmentIndexState, SegmentMemberRecord } from '../../connectors/singleview/segmentIndex.js';
import { finishedBackfill } from './backfill.js';
import { dueWatermarkJob, indexEntriesOf } from './changeFeed.js';
import type { SegmentSpec } from './definitions.js';
import { evaluateMemberships } from './evaluate.js';

/** Customers per index write of a load, and writes in flight at once. */
const CUSTOMERS_PER_WRITE = 100;
const WRITES_IN_FLIGHT = 4;

/**
 * Stores a bulk load (the demo data) with its segment index already built,
 * as a finished backfill and the change feed would have left it
 * (docs/segments.md): each customer's memberships evaluated at `now` against
 * `specs`, its index mark, member, due and state items, the due run's
 * watermark and the backfill's job marked done with these definitions. The
 * segment worker's first round then has nothing to scan, where it would
 * otherwise rewrite and reconcile every loaded customer beside the first
 * requests. For an empty store only: nothing here reads what is there.
 */
export async function loadIndexed(store: BulkLoadPort & SegmentIndexPort, load: BulkLoad, specs: readonly SegmentSpec[], now: Date): Promise<void> {
  const entries = load.customers.map((customer) => {
    const facts = { traits: customer.traits, consents: customer.consents, lastEventAt: customer.lastEventAt ?? {} };
    return indexEntriesOf({ ...customer, segments: evaluateMemberships(specs, facts, customer.segments, now) }, specs, now);
  });
  await store.bulkLoad({ ...load, customers: entries.map((entry) => entry.record) });
  const writes: Array<{ putMembers: SegmentMemberRecord[]; putDue: SegmentDueRecord[]; putStates: SegmentIndexState[] }> = [];
  for (let i = 0; i < entries.length; i += CUSTOMERS_PER_WRITE) {
    const part = entries.slice(i, i + CUSTOMERS_PER_WRITE);
    writes.push({ putMembers: part.flatMap((e) => e.members), putDue: part.flatMap((e) => e.due), putStates: part.map((e) => e.state) });
  }
  let next = 0;
  await Promise.all(Array.from({ length: WRITES_IN_FLIGHT }, async () => {
    while (next < writes.length) await store.writeSegmentIndex(writes[next++]!);
  }));
  // A load interrupted after these is loaded again: a job already there is left as it is.
  if (entries.some((entry) => entry.due.length > 0)) await store.putSegmentJob(dueWatermarkJob(now), null);
  await store.putSegmentJob(finishedBackfill(specs, now), null);
}
