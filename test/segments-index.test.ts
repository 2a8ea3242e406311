import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SingleViewPort } from '../connectors/singleview/port.js';
import { SEGMENT_INDEX_SHARDS, segmentIndexShard } from '../connectors/singleview/segmentIndex.js';
import type { CustomerRecord } from '../src/domain/index.js';
import { backfillSegments, backfillStatus } from '../src/segments/backfill.js';
import { SegmentCatalog } from '../src/segments/catalog.js';
import { SEGMENT_CHANGE_GRACE_MS, announceSegmentChange, drainSegmentChanges, withSegmentChangeFeed } from '../src/segments/changeFeed.js';
import type { SegmentSpec } from '../src/segments/definitions.js';
import { evaluateDueSegments } from '../src/segments/dueRun.js';
import { withSegments } from '../src/segments/evaluate.js';
import { startSingleView } from './support/dynalite.js';
import { customerRecord } from './support/records.js';

const MINUTE = 60_000;
const START = Date.parse('2026-11-15T12:00:00.000Z');

const recent: SegmentSpec = { id: 'recent', name: 'Recent', realtime: true, rule: { type: 'eventWithin', event: 'Page Viewed', minutes: 60 } };
const cart: SegmentSpec = {
  id: 'cart',
  name: 'Cart',
  realtime: true,
  rule: { type: 'eventNotFollowedBy', event: 'Product Added', notFollowedBy: 'Order Completed', minutes: 60, lookbackMinutes: 1440 },
};

/** A test's own clock and catalog over one dynalite single view, with the change feed as the gateway wires it. */
function harness(port: SingleViewPort, specs: SegmentSpec[]) {
  let now = START;
  const clock = () => new Date(now);
  const segments = new SegmentCatalog({ segments: specs });
  const feed = withSegmentChangeFeed(port, { segments, clock });
  return {
    segments,
    clock,
    feed,
    advance: (ms: number) => (now += ms),
    at: (minutesAgo: number) => new Date(now - minutesAgo * MINUTE).toISOString(),
    /** A customer as a write path would store it: memberships evaluated at now. */
    customer: (id: string, lastEventAt: Record<string, string>, extra: Partial<CustomerRecord> = {}): CustomerRecord => {
      const base = customerRecord(id, { version: 1, lastEventAt, traits: { orderCount: 0, lastSeenAt: Object.values(lastEventAt).sort().at(-1) ?? null }, ...extra });
      return { ...base, segments: withSegments(base, specs, new Date(now)) };
    },
    drain: () => drainSegmentChanges(feed, { segments, clock }),
    members: async (segmentId: string) => (await port.listSegmentMembers(segmentId, 1000)).members.map((m) => m.customerId),
    outbox: async () => {
      const entries = [];
      for (let shard = 0; shard < SEGMENT_INDEX_SHARDS; shard += 1) entries.push(...(await port.listSegmentChanges(shard, 1000)));
      return entries;
    },
  };
}

async function dueItems(port: SingleViewPort, bucket: string) {
  const found = [];
  for (let shard = 0; shard < SEGMENT_INDEX_SHARDS; shard += 1) found.push(...(await port.listDueCustomers(bucket, shard, '9999', 1000)));
  return found;
}

// Dozens of dynalite calls per customer step: generous on a loaded machine (they take a few seconds on a quiet one).
describe('segments from changes, on dynalite', { timeout: 90_000 }, () => {
  let single: Awaited<ReturnType<typeof startSingleView>>;
  beforeAll(async () => {
    single = await startSingleView();
  });
  afterAll(() => single?.close());

  it('evaluates only due customers: 5 due among 55, none scanned', async () => {
    const h = harness(single.store, [recent, cart]);
    const quiet = Array.from({ length: 50 }, (_, i) => `cus_quiet${String(i).padStart(2, '0')}`);
    const active = Array.from({ length: 5 }, (_, i) => `cus_active${i}`);
    for (const id of quiet) expect(await h.feed.createCustomer(h.customer(id, { 'Page Viewed': h.at(3 * 1440) }))).toBe('written');
    // Customers whose memberships cannot change without a write announce nothing: no outbox write.
    expect(await h.outbox()).toEqual([]);
    for (const id of active) expect(await h.feed.createCustomer(h.customer(id, { 'Page Viewed': h.at(10) }))).toBe('written');
    await h.feed.createCustomer(h.customer('cus_cart', { 'Product Added': h.at(10) }));
    expect((await h.outbox()).map((e) => e.customerId).sort()).toEqual([...active, 'cus_cart'].sort());
    expect(await h.drain()).toMatchObject({ reconciled: 6, waiting: 0 });
    expect(await h.outbox()).toEqual([]);
    expect(await h.members('recent')).toEqual(active);
    expect((await dueItems(single.store, '2026-11-15T12')).map((d) => [d.customerId, d.dueAt]).sort()).toEqual(
      [...active.map((id) => [id, '2026-11-15T12:50:00.001Z']), ['cus_cart', '2026-11-15T12:50:00.000Z']].sort(),
    );

    // Before the due time: nothing to evaluate.
    expect(await evaluateDueSegments({ singleView: h.feed, segments: h.segments, clock: h.clock })).toMatchObject({ evaluated: 0, changed: 0 });
    h.advance(55 * MINUTE);
    const run = await evaluateDueSegments({ singleView: h.feed, segments: h.segments, clock: h.clock });
    expect(run).toMatchObject({ evaluated: 6, changed: 6 });
    await h.drain();
    expect(await h.members('recent')).toEqual([]);
    expect(await h.members('cart')).toEqual(['cus_cart']);
    // The five left for good (no due time); the cart is rescheduled to when its lookback closes, in that hour's bucket.
    expect(await dueItems(single.store, '2026-11-15T12')).toEqual([]);
    expect(await dueItems(single.store, '2026-11-16T11')).toEqual([{ customerId: 'cus_cart', dueAt: '2026-11-16T11:50:00.001Z' }]);
    const stored = (await single.store.getCustomers(['cus_active0', 'cus_quiet00'])) as CustomerRecord[];
    expect(stored.map((c) => c.version)).toEqual([2, 1]);
    // A second run right after finds nothing due.
    expect(await evaluateDueSegments({ singleView: h.feed, segments: h.segments, clock: h.clock })).toMatchObject({ evaluated: 0 });
  });

  it('a track that only extends a window announces nothing; one that starts an earlier change does', async () => {
    const h = harness(single.store, [recent, cart]);
    await h.feed.createCustomer(h.customer('cus_lazy', { 'Page Viewed': h.at(10) }));
    await h.feed.createCustomer(h.customer('cus_idle', { 'Page Viewed': h.at(3 * 1440) }));
    expect((await h.outbox()).map((e) => e.customerId)).toEqual(['cus_lazy']);
    await h.drain();
    const [lazy, idle] = (await single.store.getCustomers(['cus_lazy', 'cus_idle'], { consistent: true })) as CustomerRecord[];
    // Another page view: same membership, a later due time — the earlier due item stays and reschedules when it comes.
    const later = h.customer('cus_lazy', { 'Page Viewed': h.at(1) }, { segmentIndex: lazy!.segmentIndex, version: 2, activityRevision: 0 });
    expect(await h.feed.replaceCustomer({ ...later, segments: lazy!.segments }, 1)).toBe('written');
    expect(await h.outbox()).toEqual([]);
    // A product added: the cart segment changes in an hour, where nothing was due before — announced.
    const added = h.customer('cus_idle', { 'Page Viewed': h.at(3 * 1440), 'Product Added': h.at(0) }, { segmentIndex: idle!.segmentIndex, version: 2, activityRevision: 0 });
    expect(await h.feed.replaceCustomer(added, 1)).toBe('written');
    expect((await h.outbox()).map((e) => e.customerId)).toEqual(['cus_idle']);
    await h.drain();
    expect((await dueItems(single.store, '2026-11-15T13')).map((d) => d.customerId)).toContain('cus_idle');
  });

  it('the outbox worker converges after a crash between the outbox write and the customer write, or inside the worker', async () => {
    const h = harness(single.store, [recent, cart]);
    // 1. A new customer announced, then the process dies before createCustomer.
    await announceSegmentChange(single.store, h.customer('cus_never', { 'Page Viewed': h.at(5) }), h.segments.all(), h.clock());
    // 2. A customer stored at version 1 (indexed), then a replace announced (leaving `recent`) that never lands.
    const kept = h.customer('cus_kept', { 'Page Viewed': h.at(5) });
    await h.feed.createCustomer(kept);
    await h.drain();
    await announceSegmentChange(single.store, { ...kept, version: 2, segments: [] }, h.segments.all(), h.clock());
    // Within the grace the worker leaves both alone: their writes may still be on the wire.
    expect(await h.drain()).toMatchObject({ reconciled: 0, waiting: 2 });
    h.advance(SEGMENT_CHANGE_GRACE_MS + 1);
    expect(await h.drain()).toMatchObject({ reconciled: 2, waiting: 0 });
    expect(await h.outbox()).toEqual([]);
    // The index holds what is stored: nothing for the customer never written, version 1's membership for the other.
    expect(await single.store.getSegmentIndexState('cus_never')).toBeNull();
    expect(await h.members('recent')).toContain('cus_kept');
    expect(await h.members('recent')).not.toContain('cus_never');

    // 3. The write landed, the worker died half-way (after its index writes, before its final state write),
    //    and the customer changed again before the next drain: what the dead worker put is cleaned up.
    const half = h.customer('cus_half', { 'Page Viewed': h.at(5) });
    await h.feed.createCustomer(half);
    const dying = new Proxy(single.store, {
      get(target, property, receiver) {
        if (property === 'writeSegmentIndex') {
          return async (...args: Parameters<SingleViewPort['writeSegmentIndex']>) => {
            await target.writeSegmentIndex(...args);
            throw new Error('the worker died');
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as SingleViewPort;
    await expect(drainSegmentChanges(dying, { segments: h.segments, clock: h.clock })).rejects.toThrow('the worker died');
    expect(await h.members('recent')).toContain('cus_half');
    const moved = h.customer('cus_half', { 'Page Viewed': h.at(120), 'Product Added': h.at(120) }, { version: 2, activityRevision: 0 });
    expect(await h.feed.replaceCustomer(moved, 1)).toBe('written');
    expect(await h.drain()).toMatchObject({ reconciled: 1 });
    expect(await h.members('recent')).not.toContain('cus_half');
    expect(await h.members('cart')).toContain('cus_half');
    expect(await single.store.getSegmentIndexState('cus_half')).toMatchObject({ version: 2, segments: [{ segmentId: 'cart' }] });
    // 4. Reconciled, then the worker died before deleting the entry: the next drain changes nothing and deletes it.
    await single.store.putSegmentChange({ customerId: 'cus_half', seq: 'left-over', version: 1, at: h.clock().toISOString() });
    expect(await h.drain()).toEqual({ reconciled: 1, waiting: 0, writes: 0 });

    // 5. Erasure: deleting the customer takes it out of every segment and the due index.
    await h.feed.deleteCustomers(['cus_half']);
    await h.drain();
    expect(await h.members('cart')).not.toContain('cus_half');
    expect(await single.store.getSegmentIndexState('cus_half')).toBeNull();
  });

  it('backfills a new definition with a parallel scan that resumes from its recorded progress, and not again while unchanged', async () => {
    const view = await startSingleView();
    try {
      const h = harness(view.store, [recent]);
      // Customers stored before the index existed (a bulk load): no mark, nothing indexed.
      const ids = Array.from({ length: 40 }, (_, i) => `cus_b${String(i).padStart(2, '0')}`);
      for (const [i, id] of ids.entries()) await view.store.createCustomer(h.customer(id, { 'Page Viewed': h.at(i % 2 === 0 ? 5 : 500), 'Product Added': h.at(120) }));
      const first = await backfillSegments({ singleView: h.feed, segments: h.segments, clock: h.clock, parts: 4, pageSize: 4, maxPages: 3 });
      expect(first).toMatchObject({ skipped: false, complete: false, segments: ['recent'], scanned: 12 });
      const status = await backfillStatus(view.store);
      expect(status).toMatchObject({ state: 'running', scanned: 12, parts: 4 });
      expect(status!.partsDone).toBeLessThan(4);
      // The next run picks up where the parts stopped: every customer scanned once over both runs.
      const second = await backfillSegments({ singleView: h.feed, segments: h.segments, clock: h.clock, parts: 4, pageSize: 4 });
      expect(second).toMatchObject({ complete: true, scanned: 40 });
      expect(await backfillStatus(view.store)).toMatchObject({ state: 'done', scanned: 40, partsDone: 4 });
      await h.drain();
      expect(await h.members('recent')).toEqual(ids.filter((_, i) => i % 2 === 0));
      expect(await backfillSegments({ singleView: h.feed, segments: h.segments, clock: h.clock })).toMatchObject({ skipped: true });

      // A new segment: only it is backfilled, and its members are listed after the worker's drain.
      const h2 = harness(view.store, [recent, cart]);
      const third = await backfillSegments({ singleView: h2.feed, segments: h2.segments, clock: h2.clock, parts: 2 });
      expect(third).toMatchObject({ complete: true, segments: ['cart'], scanned: 40, updated: 40 });
      await h2.drain();
      expect(await h2.members('cart')).toEqual(ids);
      expect(new Set(ids.map((id) => segmentIndexShard(id))).size).toBeGreaterThan(4);
    } finally {
      await view.close();
    }
  });
});
