import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSegmentFile } from '../src/segments/definitions.js';
import { dynamoSingleView, graphql, startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { changeMiddleware } from './support/middleware.js';
import { identify, INGEST_KEY, track, TRACK } from './support/writes.js';

/**
 * `track` writes the customer's activity (traits, latest events, last
 * sightings, real-time segments) as one conditional UpdateItem of a small
 * item of its own (connectors/singleview/customerActivity.ts), on dynalite
 * through the real SDK; the segment index still follows it.
 */
let gw: TestGateway;
const calls: Array<{ command: string; tables: string[] }> = [];
/** While recording: how many calls were in flight when each recorded call started. */
const inFlightAtStart: number[] = [];
let inFlight = 0;
let recording = false;
/** The next calls of this command on this table fail (a store error, not a lost race), this many times. */
const failing = { command: '', table: '', times: 0 };

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'c360-activity-'));
  const file = join(dir, 'segments.json');
  const bundled = loadSegmentFile().segments;
  writeFileSync(file, JSON.stringify({ segments: [...bundled, { id: 'pinged', name: 'Pinged', realtime: true, rule: { type: 'eventWithin', event: 'Activity Ping', minutes: 60 } }] }));
  gw = await startTestGateway({ C360_DEMO_CUSTOMERS: '5', C360_SEGMENTS_FILE: file, C360_RATE_LIMIT_PER_MINUTE: '0' });
  const store = dynamoSingleView(gw);
  const prefix = store.tables.customers.slice(0, -'customers'.length);
  changeMiddleware(store.client, (stack) =>
    stack.add(
      (next, context) => async (args) => {
        const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown> };
        const tables = input.TableName ? [input.TableName] : Object.keys(input.RequestItems ?? {});
        if (recording) calls.push({ command: context.commandName ?? '?', tables: tables.map((table) => table.slice(prefix.length)) });
        if (failing.times > 0 && context.commandName === failing.command && tables.includes(failing.table)) {
          failing.times -= 1;
          throw Object.assign(new Error(`injected: ${failing.command} failed`), { name: 'InternalServerError' });
        }
        if (recording) inFlightAtStart.push(inFlight);
        inFlight += 1;
        try {
          return await next(args);
        } finally {
          inFlight -= 1;
        }
      },
      { step: 'initialize', name: 'trackActivityCalls' },
    ),
  );
});
afterAll(() => gw?.close());

const MEMBERS = 'query($id: ID!) { segment(id: $id) { members(first: 50) { edges { node { id } } } } }';

async function membersOf(segment: string): Promise<string[]> {
  const response = await graphql<{ segment: { members: { edges: Array<{ node: { id: string } }> } } }>(gw.url, MEMBERS, { purpose: 'support', variables: { id: segment } });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.segment.members.edges.map((edge) => edge.node.id);
}

describe('track writes the customer’s activity alone', () => {
  it('with one conditional UpdateItem of the activity item, and no write of the customer item', async () => {
    const email = { type: 'EMAIL', value: 'activity.one@example.org' };
    const { customer } = await identify(gw.url, [email]);
    await track(gw.url, { identity: email, type: 'Page Viewed' });
    calls.length = 0;
    recording = true;
    const tracked = await track(gw.url, { identity: email, type: 'Order Completed', properties: { total: 12.5 }, idempotencyKey: 'activity-order-1' });
    recording = false;
    expect(tracked).toMatchObject({ customerId: customer.id, duplicate: false });
    const writes = calls.filter((call) => !/^(Get|BatchGet|Query|Scan)/.test(call.command));
    // The customer's part: exactly one UpdateItem, on the activity item; the customer item is not written.
    expect(writes.filter((call) => call.tables.includes('customer_activity'))).toEqual([{ command: 'UpdateItemCommand', tables: ['customer_activity'] }]);
    expect(writes.filter((call) => call.tables.includes('customers'))).toEqual([]);
    // The event and the idempotency claim are the other two writes; nothing is read first (the write cache holds the customer).
    expect(writes.map((call) => call.tables.join(',')).sort()).toEqual(['customer_activity', 'events', 'idempotency']);
    expect(calls.filter((call) => call.tables.includes('customers'))).toEqual([]);
    const read = await graphql<{ customer: { traits: { orderCount: number; lifetimeValue: number } } }>(gw.url, 'query($id: ID!) { customer(id: $id) { traits { orderCount lifetimeValue } } }', {
      purpose: 'support',
      variables: { id: customer.id },
    });
    expect(read.body.data!.customer.traits).toEqual({ orderCount: 1, lifetimeValue: 12.5 });
  });

  it('costs a known customer’s track three DynamoDB calls with an idempotency key and two without, in two rounds, none of them a read', async () => {
    const email = { type: 'EMAIL', value: 'activity.calls@example.org' };
    await identify(gw.url, [email]);
    await track(gw.url, { identity: email, type: 'Page Viewed' });
    const callsOf = async (input: Record<string, unknown>) => {
      calls.length = 0;
      inFlightAtStart.length = 0;
      recording = true;
      expect(await track(gw.url, { identity: email, ...input })).toMatchObject({ duplicate: false });
      recording = false;
      return calls.map((call) => `${call.command} ${call.tables.join(',')}`);
    };
    // The claim (a conditional PutItem of its own item: an idempotency key is unique per API key, whatever the
    // customer, while the timeline is keyed by customer and time) beside the event (group-committed), then the activity.
    const keyed = await callsOf({ type: 'Order Completed', properties: { total: 3 }, idempotencyKey: 'activity-calls-1' });
    expect(keyed.slice(0, 2).sort()).toEqual(['BatchWriteItemCommand events', 'PutItemCommand idempotency']);
    expect(keyed.slice(2)).toEqual(['UpdateItemCommand customer_activity']);
    // Two rounds: the event write starts while the claim is in flight (or the other way round); the activity alone after both.
    expect(inFlightAtStart).toEqual([0, 1, 0]);
    expect(await callsOf({ type: 'Page Viewed' })).toEqual(['BatchWriteItemCommand events', 'UpdateItemCommand customer_activity']);
  });

  it('lands on an activity item with no floor or a floor at most the version read, and not above it; claims a key once', async () => {
    // The two conditions of a track's writes, as dynalite evaluates them (written as comparisons, not functions: dynamodb.ts).
    const email = { type: 'EMAIL', value: 'activity.floor@example.org' };
    const { customer } = await identify(gw.url, [email]);
    await track(gw.url, { identity: email, type: 'Page Viewed' });
    const store = dynamoSingleView(gw);
    const [record] = await store.getCustomers([customer.id], { consistent: true });
    if (!record || record instanceof Error) throw new Error('the customer was not read back');
    const version = record.version ?? 0;
    let revision = record.activityRevision ?? 0;
    const activity = async () => (await store.document.send(new GetCommand({ TableName: store.tables.customerActivity, Key: { id: customer.id }, ConsistentRead: true }))).Item!;
    // The floor the identify left (its version: a write of the whole customer raises it first) lets a track land.
    expect((await activity()).floor).toBe(version);
    expect(await store.updateCustomerActivity(record, { version, activityRevision: revision })).toBe('written');
    // An item without a floor (written before floors were kept) lets it land too.
    await store.document.send(new UpdateCommand({ TableName: store.tables.customerActivity, Key: { id: customer.id }, UpdateExpression: 'REMOVE floor' }));
    revision += 1;
    // No floor: the update lands; a revision other than the one stored does not.
    expect(await store.updateCustomerActivity(record, { version, activityRevision: revision + 5 })).toBe('conflict');
    expect(await store.updateCustomerActivity(record, { version, activityRevision: revision })).toBe('written');
    // A floor above the version read (a whole-customer write under way) stops it; one at the version read does not.
    await store.document.send(new UpdateCommand({ TableName: store.tables.customerActivity, Key: { id: customer.id }, UpdateExpression: 'SET floor = :f', ExpressionAttributeValues: { ':f': version + 1 } }));
    expect(await store.updateCustomerActivity(record, { version, activityRevision: revision + 1 })).toBe('conflict');
    expect(await store.updateCustomerActivity(record, { version: version + 1, activityRevision: revision + 1 })).toBe('written');
    expect((await activity()).rev).toBe(revision + 2);
    await store.document.send(new UpdateCommand({ TableName: store.tables.customerActivity, Key: { id: customer.id }, UpdateExpression: 'REMOVE floor' }));
    // An idempotency key is claimed once; the second claim finds the first one's record.
    const claim = { key: `activity-floor#${customer.id}`, eventId: 'evt_claim_1', customerId: customer.id, occurredAt: '2026-12-03T10:00:00.000Z', claimedAt: '2026-12-03T10:00:00.000Z', expiresAt: 1_900_000_000 };
    expect(await store.claimIdempotencyKey(claim)).toEqual({ status: 'claimed' });
    expect(await store.claimIdempotencyKey({ ...claim, eventId: 'evt_claim_2' })).toMatchObject({ status: 'exists', record: { key: claim.key, eventId: 'evt_claim_1' } });
  });

  it('keeps what a whole-customer write changes and what a track changes, in either order', async () => {
    const email = { type: 'EMAIL', value: 'activity.two@example.org' };
    const { customer } = await identify(gw.url, [email]);
    await track(gw.url, { identity: email, type: 'Order Completed', properties: { total: 5 } });
    // A profile change (a write of the whole customer that keeps the activity), then more tracks.
    await identify(gw.url, [email], { firstName: 'Activity' });
    await Promise.all([1, 2, 3].map(() => track(gw.url, { identity: email, type: 'Order Completed', properties: { total: 5 } })));
    const read = await graphql<{ customer: { profile: { firstName: string }; traits: { orderCount: number; lifetimeValue: number } } }>(
      gw.url,
      'query($id: ID!) { customer(id: $id) { profile { firstName } traits { orderCount lifetimeValue } } }',
      { purpose: 'support', variables: { id: customer.id } },
    );
    expect(read.body.data!.customer).toEqual({ profile: { firstName: 'Activity' }, traits: { orderCount: 4, lifetimeValue: 20 } });
  });

  it('drives the segment index: a real-time segment a track starts is listed by segment(id) { members }', async () => {
    const email = { type: 'EMAIL', value: 'activity.ping@example.org' };
    const { customer } = await identify(gw.url, [email]);
    await gw.gateway.services.segmentWorker.runOnce();
    expect(await membersOf('pinged')).not.toContain(customer.id);
    calls.length = 0;
    recording = true;
    await track(gw.url, { identity: email, type: 'Activity Ping' });
    recording = false;
    // The membership changed: announced in the outbox before the activity update.
    expect(calls.map((call) => `${call.command} ${call.tables.join(',')}`)).toEqual(expect.arrayContaining(['PutItemCommand segment_index', 'UpdateItemCommand customer_activity']));
    await gw.gateway.services.segmentWorker.runOnce();
    expect(await membersOf('pinged')).toContain(customer.id);
  });

  it('takes its event back when the activity update fails, so the client’s retry stores the event once and counts it once', async () => {
    const email = { type: 'EMAIL', value: 'activity.failed@example.org' };
    const { customer } = await identify(gw.url, [email]);
    await track(gw.url, { identity: email, type: 'Page Viewed' });
    const input = { identity: email, type: 'Order Completed', properties: { total: 7 }, idempotencyKey: 'activity-failed-1' };
    Object.assign(failing, { command: 'UpdateItemCommand', table: dynamoSingleView(gw).tables.customerActivity, times: 1 });
    const failed = await graphql(gw.url, TRACK, { variables: { input }, apiKey: INGEST_KEY });
    failing.times = 0;
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('SOURCE_UNAVAILABLE');
    const orders = async () => (await dynamoSingleView(gw).getEvents(customer.id, { first: 50, types: ['Order Completed'] })).events;
    // Nothing of the failed call is left: no event, and the key is free again.
    expect(await orders()).toEqual([]);
    const retried = await track(gw.url, input);
    expect(retried).toMatchObject({ customerId: customer.id, duplicate: false });
    expect((await orders()).map((event) => event.id)).toEqual([retried.eventId]);
    const read = await graphql<{ customer: { traits: { orderCount: number; lifetimeValue: number } } }>(gw.url, 'query($id: ID!) { customer(id: $id) { traits { orderCount lifetimeValue } } }', {
      purpose: 'support',
      variables: { id: customer.id },
    });
    expect(read.body.data!.customer.traits).toEqual({ orderCount: 1, lifetimeValue: 7 });
  });

  it('removes the customer it created, and its event, when storing the event fails for an identifier nobody holds', async () => {
    const store = dynamoSingleView(gw);
    const customers = async () => (await store.document.send(new ScanCommand({ TableName: store.tables.customers, Select: 'COUNT', ConsistentRead: true }))).Count;
    const before = await customers();
    const input = { identity: { type: 'EMAIL', value: 'activity.new-failed@example.org' }, type: 'Page Viewed', idempotencyKey: 'activity-new-failed-1' };
    // The event write is an idempotent put, retried within the deadline: it fails on every attempt.
    Object.assign(failing, { command: 'BatchWriteItemCommand', table: store.tables.events, times: 10 });
    const failed = await graphql(gw.url, TRACK, { variables: { input }, apiKey: INGEST_KEY });
    failing.times = 0;
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('SOURCE_UNAVAILABLE');
    // The customer item written beside the event is gone (nobody could have found it: its identifier was never claimed).
    expect(await customers()).toBe(before);
    const retried = await track(gw.url, input);
    expect(retried.duplicate).toBe(false);
    expect((await store.getEvents(retried.customerId, { first: 50 })).events.map((event) => event.id)).toEqual([retried.eventId]);
    expect(await customers()).toBe(before! + 1);
  });
});
