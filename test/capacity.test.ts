import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callCentreRequest } from '../bench/lib/scenarios.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { itemSize } from '../connectors/singleview/itemSize.js';
import { PROFILE_FILE } from '../scripts/capacity.js';
import type { CapacityProfile, MeasuredCall } from '../scripts/capacity.js';
import { recordCapacity } from './support/capacityRecorder.js';
import { dynamoSingleView, startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { ROOT } from './support/process.js';
import { changeMiddleware } from './support/middleware.js';

/**
 * The call counts and capacity units of the capacity model (npm run capacity,
 * docs/capacity.md), measured: each request type once through the real
 * gateway on dynalite, which accounts capacity as DynamoDB does. The model
 * reads bench/capacity/profile.json; this test fails when the code's calls
 * drift from it. `C360_CAPACITY_PROFILE=write npx vitest run test/capacity.test.ts`
 * writes the file again after a deliberate change.
 */
const WRITE = process.env.C360_CAPACITY_PROFILE === 'write';

let gw: TestGateway;
let recorder: ReturnType<typeof recordCapacity>;
let prefix: string;

beforeAll(async () => {
  gw = await startTestGateway({ C360_DEMO_CUSTOMERS: '20', C360_RATE_LIMIT_PER_MINUTE: '0' });
  const store = dynamoSingleView(gw);
  prefix = store.tables.customers.slice(0, -'customers'.length);
  recorder = recordCapacity(store.client);
});
afterAll(() => gw?.close());

async function post(body: unknown, headers: Record<string, string>): Promise<Record<string, unknown>> {
  const response = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  const json = (await response.json()) as Record<string, unknown>;
  expect(json.errors).toBeUndefined();
  return json;
}

const callCentre = () => {
  const request = callCentreRequest();
  return post({ query: request.query, variables: request.variables }, request.headers);
};

const TRACK = 'mutation Track($input: TrackInput!) { track(input: $input) { eventId duplicate } }';
const track = (idempotencyKey: string) =>
  post(
    { query: TRACK, variables: { input: { identity: { type: 'EMAIL', value: 'demo.customer@example.com' }, type: 'Product Viewed', channel: 'web', properties: { sku: 'SKU-1042', price: 24.9, currency: 'EUR' }, idempotencyKey } } },
    { 'x-api-key': 'c360_demo_ingest' },
  );

/** What one request cost, with the tables named without their prefix. */
async function measure(request: () => Promise<unknown>): Promise<MeasuredCall[]> {
  await request(); // warm: keys, the customer in the write cache
  await gw.gateway.services.audit.settled(DEMO_CUSTOMERS.consent.id);
  recorder.reset();
  await request();
  // A read's exact audit record replaces its intent after the response: it is part of what the read costs.
  await gw.gateway.services.audit.settled(DEMO_CUSTOMERS.consent.id);
  // Calls made concurrently finish in any order: sorted, reads first.
  return recorder.calls
    .map((call) => ({ command: call.command, tables: call.tables.map((table) => table.slice(prefix.length)), units: call.units, read: call.read }))
    .sort((a, b) => Number(b.read) - Number(a.read) || `${a.command} ${a.tables}`.localeCompare(`${b.command} ${b.tables}`) || a.units - b.units);
}

async function medianItemBytes(table: string): Promise<number> {
  const store = dynamoSingleView(gw);
  const { Items = [] } = await store.document.send(new ScanCommand({ TableName: `${prefix}${table}`, Limit: 500, ReturnConsumedCapacity: 'NONE' }));
  const sizes = Items.map(itemSize).sort((a, b) => a - b);
  return sizes[Math.floor(sizes.length / 2)]!;
}

describe('the capacity model’s measurements (bench/capacity/profile.json)', () => {
  let measured: CapacityProfile;

  it('measures a full customer read and a track against dynalite', async () => {
    const fullRead = await measure(callCentre);
    let n = 0;
    const trackCalls = await measure(() => track(`capacity-${++n}`));
    measured = {
      requests: { fullRead, track: trackCalls },
      itemBytes: {
        customer: await medianItemBytes('customers'),
        identity: await medianItemBytes('identities'),
        event: await medianItemBytes('events'),
        audit: await medianItemBytes('audit'),
      },
    };
    // Issue 20: the call-centre read's audit record fits one write unit; issue 19: so does its intent, written beside the reads.
    expect(fullRead.filter((call) => call.tables.includes('audit'))).toEqual([
      { command: 'BatchWriteItem', tables: ['audit'], units: 1, read: false },
      { command: 'BatchWriteItem', tables: ['audit'], units: 1, read: false },
    ]);
    // Every write of a track is bounded: one conditional put per item it changes.
    expect(trackCalls.every((call) => call.units <= 3)).toBe(true);
  });

  it('reads what the events page returns plus one', async () => {
    recorder.reset();
    const { itemCount } = await queryItems();
    // The call-centre query asks for 5 events.
    expect(itemCount).toBe(6);
  });

  it('is the profile the committed model uses (the code’s calls have not drifted from it)', () => {
    if (WRITE) writeFileSync(PROFILE_FILE, `${JSON.stringify(measured, null, 2)}\n`);
    expect(existsSync(PROFILE_FILE)).toBe(true);
    const committed = JSON.parse(readFileSync(PROFILE_FILE, 'utf8')) as CapacityProfile;
    expect(committed.requests).toEqual(measured.requests);
    for (const [kind, bytes] of Object.entries(measured.itemBytes)) {
      // Ids and times vary a little between runs; units above are exact.
      expect(Math.abs(committed.itemBytes[kind as keyof CapacityProfile['itemBytes']] - bytes) / bytes, kind).toBeLessThan(0.15);
    }
    expect(PROFILE_FILE.startsWith(join(ROOT, 'bench'))).toBe(true);
  });
});

/** The events Query of one call-centre read, with the items DynamoDB read for it. */
async function queryItems(): Promise<{ itemCount: number }> {
  const store = dynamoSingleView(gw);
  const counts: number[] = [];
  changeMiddleware(store.client, (stack) =>
    stack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'QueryCommand') counts.push((result.output as { ScannedCount?: number }).ScannedCount ?? 0);
      return result;
    },
    { step: 'initialize', name: 'scannedCount' },
    ),
  );
  try {
    await callCentre();
  } finally {
    changeMiddleware(store.client, (stack) => stack.remove('scannedCount'));
  }
  expect(counts).toHaveLength(1);
  return { itemCount: counts[0]! };
}
