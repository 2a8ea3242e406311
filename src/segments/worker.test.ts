import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemorySingleView } from '../../connectors/singleview/memory.js';
import { customerRecord } from '../../test/support/records.js';
import { SegmentCatalog } from './catalog.js';
import { withSegmentChangeFeed } from './changeFeed.js';
import { loadSegmentFile } from './definitions.js';
import { IDLE_ROUNDS_MAX, SegmentWorker } from './worker.js';

const INTERVAL = 1_000;

describe('the segments worker while idle', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-11-15T10:00:00.000Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('doubles its wait after each round that found nothing, up to IDLE_ROUNDS_MAX intervals, and a change announced here brings the next round back', async () => {
    const segments = new SegmentCatalog(loadSegmentFile());
    const clock = () => new Date();
    const store = new MemorySingleView();
    const wakes: Array<() => void> = [];
    const feed = withSegmentChangeFeed(store, { segments, clock, onAnnounce: () => wakes.forEach((wake) => wake()) });
    const worker = new SegmentWorker({ singleView: feed, segments, clock });
    wakes.push(() => worker.wake());
    const started = Date.now();
    const rounds: Array<{ at: number; reconciled: number }> = [];
    const runOnce = worker.runOnce.bind(worker);
    vi.spyOn(worker, 'runOnce').mockImplementation(async () => {
      const at = Date.now() - started;
      const round = await runOnce();
      rounds.push({ at, reconciled: round.changes.reconciled });
      return round;
    });
    worker.start(INTERVAL);

    await vi.advanceTimersByTimeAsync(40_000);
    // The first backfill (4 parts, a page a round) keeps the worker busy for 4 rounds, a second apart; then waits of
    // 2, 4 and 6 s (the cap): not a round a second.
    expect(rounds.map((round) => round.at)).toEqual([1_000, 2_000, 3_000, 4_000, 6_000, 10_000, 16_000, 22_000, 28_000, 34_000, 40_000]);
    expect(IDLE_ROUNDS_MAX * INTERVAL).toBe(6_000);

    // A write that changes what the index holds announces the customer: the next round comes one interval later and reconciles it.
    await vi.advanceTimersByTimeAsync(500);
    await feed.createCustomer(customerRecord('cus_woken', { segments: [{ segmentId: 'high_value', since: '2026-11-15T10:00:00.000Z' }] }));
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(rounds.at(-1)).toEqual({ at: 41_500, reconciled: 1 });
    // That round was busy: the next is one interval later again.
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(rounds.at(-1)).toEqual({ at: 42_500, reconciled: 0 });

    await worker.stop();
    const count = rounds.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(rounds).toHaveLength(count);
  });
});
