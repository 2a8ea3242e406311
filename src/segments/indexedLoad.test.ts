import { describe, expect, it } from 'vitest';
import { MemorySingleView } from '../../connectors/singleview/memory.js';
import { DEMO_ANCHOR, generateDemoData } from '../embedded/demoData.js';
import { demoLoad } from '../embedded/seed.js';
import { BACKFILL_JOB, backfillSegments } from './backfill.js';
import { SegmentCatalog } from './catalog.js';
import { DUE_WATERMARK_JOB, drainSegmentChanges, withSegmentChangeFeed } from './changeFeed.js';
import { loadSegmentFile } from './definitions.js';
import { loadIndexed } from './indexedLoad.js';

const segments = new SegmentCatalog(loadSegmentFile());
const data = generateDemoData({ customers: 60, seed: 11, segments: segments.all() });

/** What the index and the customers hold, in a form two stores can be compared by. */
async function indexOf(store: MemorySingleView) {
  const customers = data.customers.map((c) => c.id);
  const records = await store.getCustomers(customers);
  const members: Record<string, string[]> = {};
  for (const spec of segments.all()) members[spec.id] = (await store.listSegmentMembers(spec.id, 1000)).members.map((m) => `${m.customerId}@${m.since}`);
  const states = await Promise.all(customers.map((id) => store.getSegmentIndexState(id)));
  return {
    customers: records.map((record) => (record instanceof Error || !record ? record : { id: record.id, segments: record.segments, mark: record.segmentIndex })),
    // Each state names the version of the customer it was built from (a backfill rewrites the customer: one more than a load).
    states: states.map((state, i) => state && { ...state, version: state.version === (records[i] as { version?: number }).version ? 'current' : state.version }),
    members,
  };
}

describe('a load that arrives indexed', () => {
  // An hour after the demo data's anchor (windows still open: due times ahead) and a month later (every window closed).
  for (const now of [new Date(DEMO_ANCHOR.getTime() + 3_600_000), new Date(DEMO_ANCHOR.getTime() + 30 * 86_400_000)]) {
    it(`holds what a backfill and the change feed would have written (${now.toISOString()}), and leaves the worker nothing to do`, async () => {
      const clock = () => now;
      const indexed = new MemorySingleView();
      await loadIndexed(indexed, demoLoad(data), segments.all(), now);

      const backfilled = new MemorySingleView();
      await backfilled.bulkLoad(demoLoad(data));
      const feed = withSegmentChangeFeed(backfilled, { segments, clock });
      expect(await backfillSegments({ singleView: feed, segments, clock })).toMatchObject({ skipped: false, complete: true, scanned: data.customers.length });
      await drainSegmentChanges(feed, { segments, clock });

      const expected = await indexOf(backfilled);
      expect(Object.values(expected.members).flat().length).toBeGreaterThan(0);
      expect(await indexOf(indexed)).toEqual(expected);
      expect(Boolean(await indexed.getSegmentJob(DUE_WATERMARK_JOB))).toBe(Boolean(await backfilled.getSegmentJob(DUE_WATERMARK_JOB)));

      // The worker's backfill finds these definitions done, and no customer announced.
      const indexedFeed = withSegmentChangeFeed(indexed, { segments, clock });
      expect(await backfillSegments({ singleView: indexedFeed, segments, clock })).toEqual({ skipped: true, complete: true, segments: [], scanned: 0, updated: 0 });
      expect(await drainSegmentChanges(indexedFeed, { segments, clock })).toEqual({ reconciled: 0, waiting: 0, writes: 0 });
      expect(JSON.parse((await indexed.getSegmentJob(BACKFILL_JOB))!.body)).toMatchObject({ state: 'done' });
    });
  }
});

describe('draining the change outbox', () => {
  it('reconciles at most `parallelism` announced customers at once, and every one of them', async () => {
    const now = new Date(DEMO_ANCHOR.getTime() + 3_600_000);
    const clock = () => now;
    const store = new MemorySingleView();
    await store.bulkLoad(demoLoad(data));
    const feed = withSegmentChangeFeed(store, { segments, clock });
    // The backfill rewrites every customer through the feed: each is announced once.
    await backfillSegments({ singleView: feed, segments, clock });
    let inFlight = 0;
    let most = 0;
    const counted = new Proxy(feed, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'getCustomers' || typeof value !== 'function') return value;
        return async (...args: Parameters<typeof feed.getCustomers>) => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          try {
            await new Promise((resolve) => setTimeout(resolve, 2));
            return await (value as typeof feed.getCustomers).apply(target, args);
          } finally {
            inFlight -= 1;
          }
        };
      },
    });
    const outcome = await drainSegmentChanges(counted, { segments, clock, parallelism: 4 });
    expect({ reconciled: outcome.reconciled, most }).toEqual({ reconciled: data.customers.length, most: 4 });
    expect(await drainSegmentChanges(feed, { segments, clock })).toEqual({ reconciled: 0, waiting: 0, writes: 0 });
  });
});
