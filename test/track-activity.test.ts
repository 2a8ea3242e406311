import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSegmentFile } from '../src/segments/definitions.js';
import { dynamoSingleView, graphql, startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { changeMiddleware } from './support/middleware.js';
import { identify, track } from './support/writes.js';

/**
 * `track` writes the customer's activity (traits, latest events, last
 * sightings, real-time segments) as one conditional UpdateItem of a small
 * item of its own (connectors/singleview/customerActivity.ts), on dynalite
 * through the real SDK; the segment index still follows it.
 */
let gw: TestGateway;
const calls: Array<{ command: string; tables: string[] }> = [];
let recording = false;

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
        return next(args);
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
});
