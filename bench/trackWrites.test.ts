import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sources } from '../src/sources.js';
import { openSources } from '../src/sources.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { generateDemoData } from '../src/embedded/demoData.js';
import { SegmentCatalog } from '../src/segments/catalog.js';
import { loadSegmentFile } from '../src/segments/definitions.js';
import { TRACK_CUSTOMERS } from './lib/scenarios.js';
import { TrackWrites } from './lib/trackWrites.js';

/**
 * The `track` ceiling's baseline (bench/baselines/trackWrites.ts) must make
 * the writes a `track` makes, or its row would bound nothing: each request
 * claims its key, stores its event and moves its customer's activity on,
 * read back here from the embedded default's own dynalite.
 */
describe("the `track` ceiling's writes (embedded dynalite, demo data)", () => {
  let sources: Sources;
  let ids: string[];

  beforeAll(async () => {
    const config = loadConfig({ C360_DATA_DIR: 'memory', C360_LOG_LEVEL: 'error' });
    const segments = new SegmentCatalog(loadSegmentFile(config.segmentsFile));
    sources = await openSources(config, { tracer: trace.getTracer('test'), logger: createLogger('error'), segments });
    ids = TRACK_CUSTOMERS(generateDemoData({ ...config.demo, segments: segments.all() }))
      .slice(0, 3)
      .map((customer) => customer.id);
  }, 60_000);
  afterAll(async () => {
    await sources?.close();
  });

  it('claims a key, stores an event and moves the activity on, per request, for the customers in turn', async () => {
    const writes = await TrackWrites.open(sources.singleView, ids);
    const revisionsOf = async () => (await sources.singleView.getCustomers(ids)).map((customer) => (customer && !(customer instanceof Error) ? customer.activityRevision : undefined));
    const before = await revisionsOf();
    const written = [];
    for (let i = 0; i < 6; i++) written.push(await writes.write());

    expect(written.map((w) => w.customerId)).toEqual([...ids, ...ids]);
    expect(writes.conflicts).toBe(0);
    // Two activity updates per customer.
    expect(await revisionsOf()).toEqual(before.map((revision) => (revision ?? 0) + 2));
    for (const w of written) {
      // The event is in its customer's timeline, and its key is taken.
      const page = await sources.singleView.getEvents(w.customerId, { first: 100, order: 'NEWEST_FIRST' });
      expect(page.events.some((event) => event.id === w.eventId && event.source === 'bench')).toBe(true);
      const again = await sources.singleView.claimIdempotencyKey({ key: w.claimKey, eventId: 'evt_other', customerId: w.customerId, occurredAt: new Date().toISOString(), claimedAt: new Date().toISOString(), expiresAt: 0 });
      expect(again).toMatchObject({ status: 'exists', record: { eventId: w.eventId } });
    }
  }, 60_000);
});
