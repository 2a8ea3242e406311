/**
 * `npm run segments:evaluate`: re-evaluates every segment for every customer,
 * with the same configuration as the gateway (docs/segments.md). In the
 * embedded default the data dir's dynalite files can be opened by one process
 * at a time: stop the gateway first, or point both at a DynamoDB endpoint.
 */
import { ConfigError, loadConfig } from '../src/config.js';
import { systemClock } from '../src/identity/clock.js';
import { createLogger } from '../src/logger.js';
import { evaluateAllSegments } from '../src/segments/batch.js';
import { SegmentCatalog } from '../src/segments/catalog.js';
import { loadSegmentFile } from '../src/segments/definitions.js';
import { guardSources, openSources } from '../src/sources.js';
import { noopTracer } from '../src/telemetry/tracing.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const segments = new SegmentCatalog(loadSegmentFile(config.segmentsFile));
  const sources = await openSources(config, { tracer: noopTracer, logger, segments });
  try {
    const started = Date.now();
    const result = await evaluateAllSegments({
      singleView: guardSources(sources).singleView,
      segments,
      clock: systemClock,
    });
    logger.info({ ...result, segments: segments.all().length, ms: Date.now() - started }, 'segments evaluated');
  } finally {
    await sources.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `segments:evaluate failed: ${(error as Error).message}`}\n`);
  process.exit(1);
});
