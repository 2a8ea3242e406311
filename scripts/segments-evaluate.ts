/**
 * `npm run segments:evaluate`: one round of the segments worker to the end,
 * with the same configuration as the gateway (docs/segments.md): a backfill
 * of new or changed definitions (parallel scan, resumable), the change
 * outbox, and the customers whose due time has come — never a scan of every
 * customer for time-based rules. `-- --full` re-evaluates every customer by
 * a scan instead (the former run, kept for repairs). In the embedded default
 * the data dir's dynalite files can be opened by one process at a time: the
 * gateway runs the same worker in process (C360_SEGMENTS_WORKER_MS), or stop
 * it first, or point both at a DynamoDB endpoint.
 */
import { ConfigError, loadConfig } from '../src/config.js';
import { systemClock } from '../src/identity/clock.js';
import { createLogger } from '../src/logger.js';
import { evaluateAllSegments } from '../src/segments/batch.js';
import { SegmentCatalog } from '../src/segments/catalog.js';
import { withSegmentChangeFeed } from '../src/segments/changeFeed.js';
import { loadSegmentFile } from '../src/segments/definitions.js';
import { SegmentWorker } from '../src/segments/worker.js';
import { guardSources, openSources } from '../src/sources.js';
import { noopTracer } from '../src/telemetry/tracing.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const segments = new SegmentCatalog(loadSegmentFile(config.segmentsFile));
  const sources = await openSources(config, { tracer: noopTracer, logger, segments });
  try {
    const started = Date.now();
    const singleView = withSegmentChangeFeed(guardSources(sources).singleView, { segments, clock: systemClock });
    if (process.argv.includes('--full')) {
      const result = await evaluateAllSegments({ singleView, segments, clock: systemClock });
      logger.info({ ...result, segments: segments.all().length, ms: Date.now() - started }, 'segments evaluated (full scan)');
    }
    const round = await new SegmentWorker({ singleView, segments, clock: systemClock, backfillPages: Number.POSITIVE_INFINITY }).runOnce();
    logger.info(
      {
        backfill: round.backfill,
        reconciled: round.changes.reconciled,
        waiting: round.changes.waiting,
        dueEvaluated: round.due.evaluated,
        dueChanged: round.due.changed,
        ms: Date.now() - started,
      },
      'segments evaluated',
    );
  } finally {
    await sources.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `segments:evaluate failed: ${(error as Error).message}`}\n`);
  process.exit(1);
});
