import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { LoyaltyTestServer } from './support/loyaltyServer.js';
import { dynamoSingleView, startTestGateway, graphql } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { testDemoData } from './support/demo.js';
import { sourceKeysOf } from '../src/sourceKeys.js';
import { authorizations, changeMiddleware } from './support/middleware.js';
import { TEST_JWT_SECRET, signToken } from './support/tokens.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';

const WIDE = /* GraphQL */ `
  query Wide($ids: [ID!]!) {
    customers(ids: $ids) {
      id
      profile { firstName email }
      identities { type value }
      consents { purpose status }
      segments { segment { id } }
      loyalty { tier }
      crm { crmId openCases { id } }
    }
  }
`;

interface DynamoCall {
  readonly command: string;
  readonly table: string;
  readonly keys: number;
  readonly projected: boolean;
}

const recorders = new WeakMap<TestGateway, { calls: DynamoCall[] }>();

/**
 * Wraps the real DynamoDB client of the gateway to record each read it sends
 * from now on. Not the API key lookup (authentication's, at most once per key
 * per cache period) nor the audit record of what was released (a
 * BatchWriteItem after the query).
 */
function recordDynamoCalls(gw: TestGateway): DynamoCall[] {
  const existing = recorders.get(gw);
  if (existing) return (existing.calls = []);
  const recorder = { calls: [] as DynamoCall[] };
  recorders.set(gw, recorder);
  const { apiKeys } = dynamoSingleView(gw).tables;
  changeMiddleware(dynamoSingleView(gw).client, (stack) =>
    stack.add(
    (next, context) => async (args) => {
      const input = args.input as { RequestItems?: Record<string, { Keys?: unknown[]; ProjectionExpression?: string }>; TableName?: string; ProjectionExpression?: string };
      if (context.commandName === 'BatchWriteItemCommand' || input.TableName === apiKeys) return next(args);
      if (input.TableName) recorder.calls.push({ command: context.commandName ?? '?', table: input.TableName, keys: 0, projected: Boolean(input.ProjectionExpression) });
      // One entry per call: a BatchGetItem over several tables (a customer and its activity item) names them all.
      const requests = Object.entries(input.RequestItems ?? {});
      if (requests.length > 0) {
        const keys = Math.max(...requests.map(([, request]) => request.Keys?.length ?? 0));
        const projected = requests.some(([, request]) => Boolean(request.ProjectionExpression));
        recorder.calls.push({ command: context.commandName ?? '?', table: requests.map(([table]) => table).join(','), keys, projected });
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordCalls' },
    ),
  );
  return recorder.calls;
}

/** Source calls of the operation; the API key lookup (at most one per key per cache period) is authentication's own. */
/**
 * The reads a query makes. The API key lookup (before the query) and the
 * audit write of what was released (after it) are single view calls too,
 * but neither depends on how many customers were asked for.
 */
const isQuerySourceCall = (span: ReadableSpan) =>
  span.name.startsWith('c360.source.') && !['getApiKey', 'appendAudits'].includes(String(span.attributes['c360.source.operation']));

function sourceSpans(spans: readonly ReadableSpan[]) {
  return spans
    .filter(isQuerySourceCall)
    .map((span) => ({ name: span.name, operation: span.attributes['c360.source.operation'], batchSize: span.attributes['c360.source.batch_size'] }))
    .sort((a, b) => `${a.name}${String(a.operation)}`.localeCompare(`${b.name}${String(b.operation)}`));
}

describe('batching: one call per source for 100 customers', () => {
  let gw: TestGateway;
  let loyalty: LoyaltyTestServer;
  beforeAll(async () => {
    loyalty = new LoyaltyTestServer(testDemoData().loyalty);
    // A generous deadline: this is about batching, and a busy machine must not turn it into a timeout test.
    gw = await startTestGateway({ C360_LOYALTY_URL: await loyalty.start(), C360_SOURCE_TIMEOUT_MS: '5000', C360_JWT_SECRET: TEST_JWT_SECRET });
  });
  afterAll(async () => {
    await gw?.close();
    await loyalty?.stop();
  });

  it('reads 100 customers with one batch per source, the CRM and loyalty asked by their own ids', async () => {
    const customers = testDemoData().customers.slice(0, 100);
    const ids = customers.map((c) => c.id);
    // The loyalty system is asked by member ids (LOYALTY_ID identities), never by c360's ids;
    // customers without one cost it nothing.
    const memberIds = customers.flatMap((c) => sourceKeysOf(c).loyalty);
    const crmIds = customers.flatMap((c) => sourceKeysOf(c).crm);
    expect([memberIds.length, crmIds.length].every((n) => n > 50 && n < 100)).toBe(true);
    const dynamo = recordDynamoCalls(gw);
    gw.spans.reset();
    const response = await graphql<{ customers: Array<{ id: string }> }>(gw.url, WIDE, { purpose: 'support', variables: { ids } });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.customers.map((c) => c.id)).toEqual(ids);

    expect(sourceSpans(gw.spans.getFinishedSpans())).toEqual([
      { name: 'c360.source.crm', operation: 'getMany', batchSize: crmIds.length },
      { name: 'c360.source.loyalty', operation: 'getMany', batchSize: memberIds.length },
      { name: 'c360.source.resolution', operation: 'canonicalIds', batchSize: 100 },
      { name: 'c360.source.singleview', operation: 'getCustomers', batchSize: 100 },
    ]);
    expect(loyalty.requests).toEqual([memberIds]);
    // The 100 customer items with their activity items (two keys a customer: 50 customers a call, two calls),
    // which also answer the embedded resolution engine's merge links (same keys, same calls).
    const { tables } = dynamoSingleView(gw);
    const both = `${tables.customers},${tables.customerActivity}`;
    expect(dynamo).toEqual([
      { command: 'BatchGetItemCommand', table: both, keys: 50, projected: false },
      { command: 'BatchGetItemCommand', table: both, keys: 50, projected: false },
    ]);
  });

  it('reads a full customer with two DynamoDB calls: one BatchGetItem (record, its activity and merge link) and one Query (the events page)', async () => {
    const query = /* GraphQL */ `query($id: ID!) {
      customer(id: $id) {
        id profile { firstName email } identities { type value } consents { purpose status } segments { segment { id } }
        traits { orderCount } loyalty { tier } crm { crmId } events(first: 5) { edges { node { id type } } }
      }
    }`;
    const dynamo = recordDynamoCalls(gw);
    const response = await graphql(gw.url, query, { purpose: 'support', variables: { id: 'cus_demo_customer' } });
    expect(response.body.errors).toBeUndefined();
    const { customers, customerActivity, events } = dynamoSingleView(gw).tables;
    expect([...dynamo].sort((a, b) => a.command.localeCompare(b.command))).toEqual([
      // The customer item and its activity item (what a `track` changes) in one call.
      { command: 'BatchGetItemCommand', table: `${customers},${customerActivity}`, keys: 1, projected: false },
      { command: 'QueryCommand', table: events, keys: 0, projected: false },
    ]);
  });

  it("reads `me` with two DynamoDB calls: one BatchGetItem (the login's index entry, the customer's items and merge link) and one Query", async () => {
    const token = await signToken({ role: 'customer', sub: DEMO_CUSTOMERS.consent.login });
    const me = () =>
      graphql<{ me: { id: string } }>(gw.url, 'query Me { me { id profile { firstName } consents { purpose status } events(first: 5) { edges { node { id } } } } }', {
        apiKey: null,
        headers: { authorization: `Bearer ${token}`, 'x-c360-purpose': 'self_service' },
      });
    // The first read learns who holds the login; from then on the holder is read beside the lookup.
    expect((await me()).body.data!.me.id).toBe(DEMO_CUSTOMERS.consent.id);
    const dynamo = recordDynamoCalls(gw);
    const response = await me();
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.me.id).toBe(DEMO_CUSTOMERS.consent.id);
    const { customers, customerActivity, identities, events } = dynamoSingleView(gw).tables;
    // The embedded engine's merge link of the holder, asked once the index entry has answered, is the one read with it.
    expect(dynamo.map((call) => ({ ...call, table: call.table.split(',').sort().join(',') })).sort((a, b) => a.command.localeCompare(b.command))).toEqual([
      { command: 'BatchGetItemCommand', table: [customers, customerActivity, identities].sort().join(','), keys: 1, projected: true },
      { command: 'QueryCommand', table: events, keys: 0, projected: false },
    ]);
  });

  it("asks the gateway's own dynalite without a computed signature (the SDK's signer is for any other endpoint)", async () => {
    const seen = authorizations(dynamoSingleView(gw).client);
    const response = await graphql(gw.url, '{ customer(id: "cus_demo_customer") { id events(first: 1) { edges { node { id } } } } }', { purpose: 'support' });
    expect(response.body.errors).toBeUndefined();
    expect(seen.length).toBeGreaterThanOrEqual(2);
    for (const authorization of seen) expect(authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=c360-local\/.*, Signature=unsigned$/);
  });

  it('reads only the holder from the identity index (the identifier’s value stays on the server)', async () => {
    const dynamo = recordDynamoCalls(gw);
    const response = await graphql(gw.url, 'query { customerByIdentity(type: EMAIL, value: "demo.customer@example.com") { id } }', { purpose: 'support' });
    expect(response.body.errors).toBeUndefined();
    const { identities } = dynamoSingleView(gw).tables;
    expect(dynamo.filter((call) => call.table === identities)).toEqual([{ command: 'BatchGetItemCommand', table: identities, keys: 1, projected: true }]);
  });
});

describe('concurrency: the sources a query needs are asked at the same time', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // Every source call takes at least 150 ms, so calls made one after another cannot overlap.
    gw = await startTestGateway({ C360_INJECT_LATENCY_MS: '150', C360_SOURCE_TIMEOUT_MS: '2000' });
  });
  afterAll(() => gw?.close());

  /**
   * The CRM and loyalty are asked by the customer's CRM_ID and LOYALTY_ID,
   * which the single view record holds: the first read of a customer waits
   * for that record (two rounds), later reads start them beside it by the
   * keys the gateway remembers (src/sourceKeys.ts): one round.
   */
  it('overlaps every call of a full customer query once the gateway knows the customer, two rounds before', async () => {
    const query = 'query($id: ID!, $n: Int) { customer(id: $id) { id profile { firstName } loyalty { tier } crm { crmId } events(first: $n) { edges { node { id } } } } }';
    const read = async (n = 2) => {
      gw.spans.reset();
      const response = await graphql<{ customer: { events: { edges: unknown[] } } }>(gw.url, query, { purpose: 'support', variables: { id: 'cus_demo_customer', n } });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data!.customer.events.edges).toHaveLength(n);
      return gw.spans.getFinishedSpans().filter(isQuerySourceCall);
    };
    const toMs = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6;
    const names = (spans: readonly ReadableSpan[]) => spans.map((span) => `${span.name} ${String(span.attributes['c360.source.operation'])}`).sort();
    const calls = [
      'c360.source.crm getMany',
      'c360.source.loyalty getMany',
      'c360.source.resolution canonicalIds',
      'c360.source.singleview getCustomers',
      // The events page was read once, started by the root field together with the rest.
      'c360.source.singleview getEvents',
    ];

    const cold = await read();
    expect(names(cold)).toEqual(calls);
    const record = cold.find((span) => span.attributes['c360.source.operation'] === 'getCustomers')!;
    // Within 1 ms: OpenTelemetry stamps a span's start in whole milliseconds, its end finer.
    for (const source of ['c360.source.crm', 'c360.source.loyalty']) {
      expect(toMs(cold.find((span) => span.name === source)!.startTime)).toBeGreaterThanOrEqual(toMs(record.endTime) - 1);
    }

    const warm = await read();
    expect(names(warm)).toEqual(calls);
    const latestStart = Math.max(...warm.map((span) => toMs(span.startTime)));
    const earliestEnd = Math.min(...warm.map((span) => toMs(span.endTime)));
    expect(latestStart).toBeLessThan(earliestEnd);

    // What the selection needs is worked out once per document, but a page whose size is a variable is read
    // per request: the page started beside the rest is this request's, so the resolver asks for no other.
    expect(names(await read(3))).toEqual(calls);
  });
});

describe('the naive baseline (C360_DATALOADER=false): one call per key, one source after another', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_DATALOADER: 'false', C360_INJECT_LATENCY_MS: '20', C360_SOURCE_TIMEOUT_MS: '5000' });
  });
  afterAll(() => gw?.close());

  it('asks resolution, then the single view, then CRM, then loyalty, each key alone', async () => {
    const ids = testDemoData().customers.slice(0, 3).map((c) => c.id);
    gw.spans.reset();
    const response = await graphql<{ customers: Array<{ id: string }> }>(gw.url, WIDE, { purpose: 'support', variables: { ids } });
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.customers.map((c) => c.id)).toEqual(ids);

    const spans = gw.spans.getFinishedSpans().filter(isQuerySourceCall);
    const toMs = ([s, ns]: [number, number]) => s * 1000 + ns / 1e6;
    const phases = ['resolution', 'singleview', 'crm', 'loyalty'].map((source) => {
      const calls = spans.filter((span) => span.name === `c360.source.${source}`);
      return {
        source,
        batchSizes: calls.map((span) => span.attributes['c360.source.batch_size']),
        start: Math.min(...calls.map((span) => toMs(span.startTime))),
        end: Math.max(...calls.map((span) => toMs(span.endTime))),
      };
    });
    const keys = testDemoData().customers.slice(0, 3).map(sourceKeysOf);
    const ones = (n: number) => Array.from({ length: n }, () => 1);
    expect(phases.map(({ source, batchSizes }) => ({ source, batchSizes }))).toEqual([
      { source: 'resolution', batchSizes: ones(3) },
      { source: 'singleview', batchSizes: ones(3) },
      { source: 'crm', batchSizes: ones(keys.flatMap((k) => k.crm).length) },
      { source: 'loyalty', batchSizes: ones(keys.flatMap((k) => k.loyalty).length) },
    ]);
    // Ordering, not timing: each source's first call starts after the previous source's last call ended
    // (within 1 ms: OpenTelemetry stamps a span's start in whole milliseconds, its end finer).
    for (let i = 1; i < phases.length; i++) expect(phases[i]!.start).toBeGreaterThanOrEqual(phases[i - 1]!.end - 1);
  });
});
