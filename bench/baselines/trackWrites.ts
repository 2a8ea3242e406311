import { trace } from '@opentelemetry/api';
import Fastify from 'fastify';
import type { CustomerRecord, EventRecord } from '../../src/domain/index.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { generateDemoData } from '../../src/embedded/demoData.js';
import { EventWriter } from '../../src/identity/eventWriter.js';
import { newEventId, newToken } from '../../src/identity/ids.js';
import { IDEMPOTENCY_TTL_SECONDS } from '../../src/identity/track.js';
import { openSources } from '../../src/sources.js';
import { SegmentCatalog } from '../../src/segments/catalog.js';
import { loadSegmentFile } from '../../src/segments/definitions.js';
import { benchPort } from '../lib/captures.js';
import { TRACK_CUSTOMERS } from '../lib/scenarios.js';

/**
 * Baseline for `track`: the DynamoDB writes a `track` of a known customer
 * with an idempotency key makes, and nothing else. For each request, the
 * next of the bench's `track` customers in turn: the idempotency claim (a
 * conditional PutItem) beside the event (through the gateway's EventWriter,
 * group-committed into BatchWriteItem calls), then the customer's activity
 * (a conditional UpdateItem of its traits and latest event time), through
 * the same ports, guards and SDK client as the gateway's, to the embedded
 * default's dynalite in this process. No GraphQL, no key check, no identity
 * lookup (the customer is known), no segment evaluation or change feed, no
 * per-customer ordering: the upper bound of what a `track` can reach here,
 * as the direct baseline is for reads. GET /healthz also counts the writes
 * that found the customer changed (`conflicts`; each still cost its call).
 */
const config = loadConfig();
const segments = new SegmentCatalog(loadSegmentFile(config.segmentsFile));
const sources = await openSources(config, { tracer: trace.getTracer('bench'), logger: createLogger('warn'), segments });
const demo = generateDemoData({ ...config.demo, segments: segments.all() });
const events = new EventWriter(sources.singleView);

// Each customer's stored version and activity revision, as this process last wrote them.
const customers: CustomerRecord[] = [];
for (const id of TRACK_CUSTOMERS(demo).map((customer) => customer.id)) {
  const [stored] = await sources.singleView.getCustomers([id]);
  if (!stored || stored instanceof Error) throw new Error(`demo customer ${id} is missing`);
  // A whole write first, as a customer's first `track` does: it gives the item the activity revision that UpdateItem then moves on.
  const version = stored.version ?? 0;
  if ((await sources.singleView.replaceCustomer({ ...stored, version: version + 1 }, version)) !== 'written') throw new Error(`demo customer ${id} changed`);
  const [written] = await sources.singleView.getCustomers([id]);
  if (!written || written instanceof Error || written.activityRevision === undefined) throw new Error(`demo customer ${id} has no activity revision after a replace`);
  customers.push(written);
}
let next = 0;
let conflicts = 0;

async function trackWrites(): Promise<void> {
  const index = next++ % customers.length;
  const customer = customers[index]!;
  const now = new Date();
  const at = now.toISOString();
  const event: EventRecord = { id: newEventId(now), customerId: customer.id, type: 'Product Viewed', occurredAt: at, receivedAt: at, channel: 'web', source: 'bench', properties: { sku: 'SKU-1042', price: 24.9, currency: 'EUR' }, via: null };
  const claim = { key: `bench#${event.id}`, eventId: event.id, customerId: customer.id, occurredAt: at, claimedAt: at, expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS };
  await Promise.all([sources.singleView.claimIdempotencyKey(claim), events.put(event)]);
  const revision = customer.activityRevision ?? 0;
  const record: CustomerRecord = {
    ...customer,
    activityRevision: revision + 1,
    writeToken: newToken(),
    traits: { ...customer.traits, orderCount: (customer.traits?.orderCount ?? 0) + 1, lastSeenAt: at },
  };
  const outcome = await sources.singleView.updateCustomerActivity(record, { version: customer.version ?? 0, activityRevision: revision });
  if (outcome === 'written') customers[index] = record;
  else conflicts++;
}

const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok', conflicts }));
app.post('/track-writes', async () => {
  await trackWrites();
  return { ok: true };
});
await app.listen({ host: '127.0.0.1', port: benchPort() });
process.on('SIGTERM', () => void app.close().then(() => sources.close()).then(() => process.exit(0)));
