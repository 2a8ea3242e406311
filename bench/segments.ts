import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createSingleView } from '../connectors/singleview/index.js';
import type { CustomerRecord } from '../src/domain/index.js';
import { startEmbeddedDynamo } from '../src/embedded/dynalite.js';
import { evaluateAllSegments } from '../src/segments/batch.js';
import { backfillSegments } from '../src/segments/backfill.js';
import { SegmentCatalog } from '../src/segments/catalog.js';
import { drainSegmentChanges, withSegmentChangeFeed } from '../src/segments/changeFeed.js';
import { loadSegmentFile } from '../src/segments/definitions.js';
import type { SegmentFile } from '../src/segments/definitions.js';
import { evaluateDueSegments } from '../src/segments/dueRun.js';
import { log } from './lib/log.js';
import { ROOT } from './lib/servers.js';

/**
 * `npm run bench:segments`: a segments run from due times against a full
 * scan, on dynalite, with the bundled definitions (docs/segments.md).
 *
 * N customers are loaded in bulk (no index yet): D of them leave
 * `recently_active` within the next 15 minutes, half the rest some days
 * later, half never without a write. Then:
 * 1. the first backfill indexes everyone (parallel scan, 4 parts) and the
 *    worker drains the outbox;
 * 2. a changed definition is backfilled with 1 part, and another with 4
 *    (the same scan: the parallel speed-up), and one stopped after a few
 *    pages and resumed (every customer scanned once over both runs);
 * 3. 15 minutes later the due run evaluates only the due customers; the
 *    former full-scan run is timed on the same data for comparison.
 * Writes bench/results/segments-latest.json; bench/README.md ("Segments
 * run") carries the figures.
 */
const N = Number(process.env.BENCH_SEGMENT_CUSTOMERS ?? 4000);
const D = Number(process.env.BENCH_SEGMENT_DUE ?? 100);
const MINUTE = 60_000;
const START = Date.parse('2026-11-15T12:00:00.000Z');

function customer(i: number): CustomerRecord {
  const minutesAgo = i < D ? 7 * 1440 - 10 : i % 2 === 0 ? 1440 : 60 * 1440;
  const at = new Date(START - minutesAgo * MINUTE).toISOString();
  return {
    id: `cus_bench${String(i).padStart(7, '0')}`,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: at,
    profile: {},
    identities: [],
    consents: [],
    segments: [],
    traits: { orderCount: 1, lastSeenAt: at },
    lastEventAt: { 'Page Viewed': at },
    version: 1,
  };
}

async function timed<T>(what: string, run: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await run();
  const ms = Math.round(performance.now() - started);
  log(`${what}: ${ms} ms ${JSON.stringify(result)}`);
  return { ms, result };
}

async function main(): Promise<void> {
  const dynamo = await startEmbeddedDynamo(undefined);
  const store = await createSingleView({ endpoint: dynamo.endpoint, region: 'us-east-1', tablePrefix: 'bench_', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  try {
    let now = START;
    const clock = () => new Date(now);
    const bundled = loadSegmentFile();
    const catalog = (file: SegmentFile) => new SegmentCatalog(file);
    const renamed = (suffix: string): SegmentFile => ({ segments: bundled.segments.map((s) => (s.id === 'high_value' ? { ...s, name: `High value ${suffix}` } : s)) });
    const segments = catalog(bundled);
    const feed = withSegmentChangeFeed(store, { segments, clock });
    log(`loading ${N} customers (${D} due within 15 minutes)`);
    await store.bulkLoad({ customers: Array.from({ length: N }, (_, i) => customer(i)), events: [], consentHistory: [] });

    const first = await timed('first backfill (4 parts)', () => backfillSegments({ singleView: feed, segments, clock, parts: 4 }));
    const firstDrain = await timed('outbox drain after it', () => drainSegmentChanges(feed, { segments, clock }));

    const one = catalog(renamed('a'));
    const backfill1 = await timed('changed definition, 1 part', () => backfillSegments({ singleView: withSegmentChangeFeed(store, { segments: one, clock }), segments: one, clock, parts: 1 }));
    const four = catalog(renamed('b'));
    const backfill4 = await timed('changed definition, 4 parts', () => backfillSegments({ singleView: withSegmentChangeFeed(store, { segments: four, clock }), segments: four, clock, parts: 4 }));
    const again = catalog(renamed('c'));
    const againFeed = withSegmentChangeFeed(store, { segments: again, clock });
    const stopped = await timed('changed definition, stopped after 8 pages', () => backfillSegments({ singleView: againFeed, segments: again, clock, parts: 4, maxPages: 8 }));
    const resumed = await timed('resumed', () => backfillSegments({ singleView: againFeed, segments: again, clock, parts: 4 }));

    now += 15 * MINUTE;
    const due = await timed('due run, 15 minutes later', () => evaluateDueSegments({ singleView: againFeed, segments: again, clock }));
    const dueDrain = await timed('outbox drain after it', () => drainSegmentChanges(againFeed, { segments: again, clock }));
    const scan = await timed('former run: a full scan', () => evaluateAllSegments({ singleView: againFeed, segments: again, clock }));

    const perDueMs = (due.ms + dueDrain.ms) / Math.max(1, due.result.evaluated);
    const perScannedMs = scan.ms / Math.max(1, scan.result.scanned);
    const results = {
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, load: loadavg().map((l) => Math.round(l * 100) / 100) },
      customers: N,
      dueCustomers: D,
      firstBackfill: { ms: first.ms, ...first.result, drainMs: firstDrain.ms, reconciled: firstDrain.result.reconciled },
      changedDefinition: { onePartMs: backfill1.ms, fourPartsMs: backfill4.ms, scanned: backfill4.result.scanned, speedup: Math.round((backfill1.ms / backfill4.ms) * 100) / 100 },
      resume: { stoppedScanned: stopped.result.scanned, stoppedComplete: stopped.result.complete, resumedScanned: resumed.result.scanned, resumedComplete: resumed.result.complete },
      dueRun: { ms: due.ms, drainMs: dueDrain.ms, ...due.result },
      fullScanRun: { ms: scan.ms, scanned: scan.result.scanned, updated: scan.result.updated },
      perDueCustomerMs: Math.round(perDueMs * 100) / 100,
      perScannedCustomerMs: Math.round(perScannedMs * 1000) / 1000,
    };
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/results/segments-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    log(JSON.stringify(results, null, 2));
  } finally {
    await store.close();
    await dynamo.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench segments failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
