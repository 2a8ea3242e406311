import { setTimeout as sleep } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import Fastify from 'fastify';
import type { EventQuery } from '../../src/domain/index.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { generateDemoData } from '../../src/embedded/demoData.js';
import { sourceKeysOf } from '../../src/sourceKeys.js';
import { openSources } from '../../src/sources.js';
import { benchPort } from '../lib/captures.js';
import { SegmentCatalog } from '../../src/segments/catalog.js';
import { loadSegmentFile } from '../../src/segments/definitions.js';

/**
 * Baseline: the sources called directly, without GraphQL: for each request,
 * the very reads the gateway makes for the scenario, all at once through the
 * same connectors' ports (one resolution batch, one single view
 * BatchGetItem, one CRM read and one loyalty read by the customers' CRM and
 * member ids, and the events page when the query asks for one), with no
 * guard, no DataLoader and no GraphQL. The CRM and member ids are known in
 * advance (from the demo data), as the gateway remembers them for customers
 * it has read (src/sourceKeys.ts). Sources
 * are opened from the same C360_* environment as the gateway's (embedded
 * default: its own dynalite, seeded alike), and C360_INJECT_LATENCY_MS adds
 * the same latency to each read. The lower bound for the data work.
 */
interface DirectRequest {
  readonly ids: readonly string[];
  readonly events?: EventQuery;
}

const config = loadConfig();
const segments = new SegmentCatalog(loadSegmentFile(config.segmentsFile));
const sources = await openSources(config, { tracer: trace.getTracer('bench'), logger: createLogger('warn'), segments });
const demo = generateDemoData({ ...config.demo, segments: segments.all() });
const keysById = new Map(demo.customers.map((customer) => [customer.id, sourceKeysOf(customer)]));
const keysOf = (ids: readonly string[]) => ids.flatMap((id) => keysById.get(id) ?? []);
const latency = config.sources.singleview.injectedLatencyMs;
const read = async <T>(call: () => Promise<T>): Promise<T> => {
  if (latency > 0) await sleep(latency);
  return call();
};

const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok' }));
app.post<{ Body: DirectRequest }>('/direct', async (request) => {
  const { ids, events } = request.body;
  const [canonical, customers, crm, loyalty, timelines] = await Promise.all([
    read(() => sources.resolution.canonicalIds(ids)),
    read(() => sources.singleView.getCustomers(ids)),
    read(() => sources.crm.getMany(keysOf(ids).flatMap((k) => k.crm))),
    read(() => sources.loyalty.getMany(keysOf(ids).flatMap((k) => k.loyalty))),
    events ? Promise.all(ids.map((id) => read(() => sources.singleView.getEvents(id, events)))) : [],
  ]);
  return { canonical, customers, crm, loyalty, events: timelines };
});
await app.listen({ host: '127.0.0.1', port: benchPort() });
process.on('SIGTERM', () => void app.close().then(() => sources.close()).then(() => process.exit(0)));
