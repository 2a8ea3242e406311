/**
 * `npm run jobs`: the background job worker as a process of its own
 * (docs/architecture.md "Background jobs"), for gateways started with
 * C360_JOBS_WORKER=false. It resumes the open jobs at start, then looks for
 * more every few seconds until SIGTERM or SIGINT, when it stops after the
 * page under way. `npm run jobs -- --once` runs the open jobs and exits.
 * Same configuration as the gateway; in the embedded default the data dir's
 * dynalite files are opened by one process at a time, so point both at a
 * DynamoDB endpoint.
 */
import { ConfigError, loadConfig } from '../src/config.js';
import { erasureFinished } from '../src/erasure/forgetCustomer.js';
import { systemClock } from '../src/identity/clock.js';
import { jobHandlers } from '../src/jobs/handlers.js';
import { JobWorker } from '../src/jobs/worker.js';
import { createLogger } from '../src/logger.js';
import { SegmentCatalog } from '../src/segments/catalog.js';
import { loadSegmentFile } from '../src/segments/definitions.js';
import { guardSources, openSources } from '../src/sources.js';
import { noopTracer } from '../src/telemetry/tracing.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const segments = new SegmentCatalog(loadSegmentFile(config.segmentsFile));
  const sources = await openSources(config, { tracer: noopTracer, logger, segments });
  const { singleView } = guardSources(sources);
  const worker = new JobWorker(singleView, jobHandlers(singleView, { 'erase-history': erasureFinished(singleView, systemClock) }), { logger, clock: systemClock });
  if (process.argv.includes('--once')) {
    try {
      await worker.runOpenJobs();
      logger.info('background jobs: the open jobs ran');
    } finally {
      await sources.close();
    }
    return;
  }
  worker.start();
  logger.info('background jobs: worker started');
  const stop = () => {
    void worker
      .stop()
      .then(() => sources.close())
      .then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `jobs failed: ${(error as Error).message}`}\n`);
  process.exit(1);
});
