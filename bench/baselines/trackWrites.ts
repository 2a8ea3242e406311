import { trace } from '@opentelemetry/api';
import Fastify from 'fastify';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { generateDemoData } from '../../src/embedded/demoData.js';
import { openSources } from '../../src/sources.js';
import { SegmentCatalog } from '../../src/segments/catalog.js';
import { loadSegmentFile } from '../../src/segments/definitions.js';
import { benchPort } from '../lib/captures.js';
import { TRACK_CUSTOMERS } from '../lib/scenarios.js';
import { TrackWrites } from '../lib/trackWrites.js';

/**
 * Baseline for `track`: the DynamoDB writes a `track` of a known customer
 * with an idempotency key makes, and nothing else (bench/lib/trackWrites.ts),
 * for the bench's `track` customers in turn, through the same ports, guards
 * and SDK client as the gateway's, to the embedded default's dynalite in this
 * process: the upper bound of what a `track` can reach here, as the direct
 * baseline is for reads. GET /healthz also counts the activity writes that
 * found the customer changed (`conflicts`; each still cost its call).
 */
const config = loadConfig();
const segments = new SegmentCatalog(loadSegmentFile(config.segmentsFile));
const sources = await openSources(config, { tracer: trace.getTracer('bench'), logger: createLogger('warn'), segments });
const demo = generateDemoData({ ...config.demo, segments: segments.all() });
const writes = await TrackWrites.open(sources.singleView, TRACK_CUSTOMERS(demo).map((customer) => customer.id));

const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok', conflicts: writes.conflicts }));
app.post('/track-writes', async () => {
  await writes.write();
  return { ok: true };
});
await app.listen({ host: '127.0.0.1', port: benchPort() });
process.on('SIGTERM', () => void app.close().then(() => sources.close()).then(() => process.exit(0)));
