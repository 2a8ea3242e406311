import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo } from '../src/embedded/dynalite.js';
import { graphql, startTestGateway, TestClock, withoutTraceId, SUPPORT_RELEASE } from './support/gateway.js';
import type { GraphQLResponse, TestGateway } from './support/gateway.js';
import { INGEST_KEY, TRACK, identify, track } from './support/writes.js';
import type { TrackResult } from './support/writes.js';

const clock = new TestClock(new Date().toISOString());
let gw: TestGateway;
beforeAll(async () => {
  // Generous deadlines: this suite races 50 writers on two shared cores, and asserts outcomes, not speed.
  // Generous deadlines (and wait for a slot: 50 calls, 32 run at once) so a busy machine tests convergence, not timeouts.
  gw = await startTestGateway(
    { C360_SINGLEVIEW_TIMEOUT_MS: '10000', C360_RESOLUTION_TIMEOUT_MS: '10000', C360_ADMISSION_WAIT_MS: '10000', C360_DEMO_CUSTOMERS: '10' },
    { clock: clock.now },
  );
});
afterAll(() => gw?.close());

const EVENTS_OF = /* GraphQL */ `
  query($id: ID!) { customer(id: $id) { id events(first: 100) { edges { node { id type } } } } }
`;

type Events = { customer: { id: string; events: { edges: Array<{ node: { id: string; type: string } }> } } };

async function eventsOf(id: string) {
  const response = await graphql<Events>(gw.url, EVENTS_OF, { variables: { id }, purpose: 'support' });
  return response.body.data!.customer.events.edges.map((edge) => edge.node);
}

describe('track idempotency', () => {
  it('stores one event for a repeated idempotencyKey and answers duplicate: true', async () => {
    const input = { identity: { type: 'ANONYMOUS_ID', value: 'idem-anon-1' }, type: 'Order Completed', properties: { total: 42 }, idempotencyKey: 'order-123' };
    const first = await track(gw.url, input);
    const again = await track(gw.url, input);
    expect(again).toEqual({ eventId: first.eventId, customerId: first.customerId, duplicate: true });
    expect(await eventsOf(first.customerId)).toEqual([{ id: first.eventId, type: 'Order Completed' }]);
    const traits = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { traits { orderCount } } }', { variables: { id: first.customerId }, purpose: 'support' });
    expect(withoutTraceId(traits.body)).toEqual({ data: { customer: { traits: { orderCount: 1 } } }, extensions: SUPPORT_RELEASE });
  });

  it('stores one event when the same key arrives ten times at once', async () => {
    await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'idem-anon-2' }, type: 'Page Viewed' });
    const input = { identity: { type: 'ANONYMOUS_ID', value: 'idem-anon-2' }, type: 'Product Added', idempotencyKey: 'burst-1' };
    const results = await Promise.all(
      Array.from({ length: 10 }, () => graphql<TrackResult>(gw.url, TRACK, { variables: { input }, apiKey: INGEST_KEY })),
    );
    const answers = results.map((r) => r.body.data!.track);
    const originals = answers.filter((a) => !a.duplicate);
    expect(originals).toHaveLength(1);
    expect(answers.every((a) => a.eventId === originals[0]!.eventId && a.customerId === originals[0]!.customerId)).toBe(true);
    expect((await eventsOf(originals[0]!.customerId)).filter((e) => e.type === 'Product Added')).toEqual([{ id: originals[0]!.eventId, type: 'Product Added' }]);
  });

  it('takes over a key whose first writer crashed before storing its event, once the claim is old', async () => {
    const anon = { type: 'ANONYMOUS_ID', value: 'idem-crash' };
    const earlier = await track(gw.url, { identity: anon, type: 'Page Viewed' });
    // The claim a writer leaves when it dies right after claiming: no event behind it.
    await gw.gateway.services.sources.singleView.claimIdempotencyKey({
      key: 'key:demo_ingest#crashed-1',
      eventId: 'evt_lost',
      customerId: earlier.customerId,
      occurredAt: clock.iso(),
      claimedAt: clock.iso(),
      expiresAt: 0,
    });
    const input = { identity: anon, type: 'Order Completed', properties: { total: 5 }, idempotencyKey: 'crashed-1' };
    expect(await track(gw.url, input)).toEqual({ eventId: 'evt_lost', customerId: earlier.customerId, duplicate: true });
    clock.advance(6);
    const retried = await track(gw.url, input);
    expect(retried).toEqual({ eventId: expect.stringMatching(/^evt_/), customerId: earlier.customerId, duplicate: false });
    expect(await track(gw.url, input)).toEqual({ ...retried, duplicate: true });
    expect(await eventsOf(earlier.customerId)).toEqual([
      { id: earlier.eventId, type: 'Page Viewed' },
      { id: retried.eventId, type: 'Order Completed' },
    ]);
  });

  it('creates one customer when a new identifier arrives on ten requests at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'burst-new-anon' }, type: 'Page Viewed', properties: { path: `/page/${i}` } }),
      ),
    );
    const customers = new Set(results.map((r) => r.customerId));
    expect(customers.size).toBe(1);
    const events = await eventsOf([...customers][0]!);
    expect(events.map((e) => e.id).sort()).toEqual(results.map((r) => r.eventId).sort());
  });
});

const IDENTITIES_OF = /* GraphQL */ `
  query($email: String!) { customerByIdentity(type: EMAIL, value: $email) { id identities { type value } events(first: 100) { edges { node { id } } } } }
`;

type Holder = { customerByIdentity: { id: string; identities: Array<{ type: string; value: string }>; events: { edges: Array<{ node: { id: string } }> } } };

describe('fifty concurrent identify calls linking one email to fifty anonymous ids', () => {
  it('end with one customer holding the email and all fifty new anonymous ids', async () => {
    const anonymous = Array.from({ length: 50 }, (_, i) => `fifty-new-${i}`);
    const results = await Promise.all(
      anonymous.map((value) => identify(gw.url, [{ type: 'EMAIL', value: 'fifty.new@example.com' }, { type: 'ANONYMOUS_ID', value }])),
    );
    const response = await graphql<Holder>(gw.url, IDENTITIES_OF, { variables: { email: 'fifty.new@example.com' }, purpose: 'support' });
    const holder = response.body.data!.customerByIdentity;
    expect(new Set(results.map((r) => r.customer.id))).toEqual(new Set([holder.id]));
    expect(holder.identities.filter((i) => i.type === 'EMAIL')).toEqual([{ type: 'EMAIL', value: 'fifty.new@example.com' }]);
    expect(holder.identities.filter((i) => i.type === 'ANONYMOUS_ID').map((i) => i.value).sort()).toEqual([...anonymous].sort());
    await expectAllResolveTo(anonymous, holder.id);
  });

  it('merge fifty anonymous customers, with their events, into one', async () => {
    const anonymous = Array.from({ length: 50 }, (_, i) => `fifty-known-${i}`);
    const tracked = await Promise.all(anonymous.map((value) => track(gw.url, { identity: { type: 'ANONYMOUS_ID', value }, type: 'Page Viewed' })));
    const results = await Promise.all(
      anonymous.map((value) => identify(gw.url, [{ type: 'ANONYMOUS_ID', value }, { type: 'EMAIL', value: 'fifty.known@example.com' }])),
    );
    const response = await graphql<Holder>(gw.url, IDENTITIES_OF, { variables: { email: 'fifty.known@example.com' }, purpose: 'support' });
    const holder = response.body.data!.customerByIdentity;
    expect(new Set(results.map((r) => r.customer.id))).toEqual(new Set([holder.id]));
    expect(holder.identities.filter((i) => i.type === 'ANONYMOUS_ID').map((i) => i.value).sort()).toEqual([...anonymous].sort());
    expect(holder.events.edges.map((e) => e.node.id).sort()).toEqual(tracked.map((t) => t.eventId).sort());
    // Every customer but the survivor was absorbed exactly once, and each old id reads as the survivor.
    const absorbed = results.flatMap((r) => r.merged).sort();
    expect(absorbed).toEqual(tracked.map((t) => t.customerId).filter((id) => id !== holder.id).sort());
    const ids = await graphql<{ customers: Array<{ id: string }> }>(gw.url, 'query($ids: [ID!]!) { customers(ids: $ids) { id } }', {
      variables: { ids: tracked.map((t) => t.customerId) },
    });
    expect(new Set(ids.body.data!.customers.map((c) => c.id))).toEqual(new Set([holder.id]));
    await expectAllResolveTo(anonymous, holder.id);
  });
});

/** Ten lookups per request: the gateway's default limit on root fields per operation. */
async function expectAllResolveTo(anonymous: readonly string[], id: string): Promise<void> {
  const holders: Array<string | undefined> = [];
  for (let start = 0; start < anonymous.length; start += 10) {
    const batch = anonymous.slice(start, start + 10);
    const query = `query { ${batch.map((value, i) => `a${i}: customerByIdentity(type: ANONYMOUS_ID, value: "${value}") { id }`).join(' ')} }`;
    const response = await graphql<Record<string, { id: string } | null>>(gw.url, query);
    expect(response.body.errors).toBeUndefined();
    holders.push(...Object.values(response.body.data!).map((customer) => customer?.id));
  }
  expect(holders).toHaveLength(anonymous.length);
  expect(new Set(holders)).toEqual(new Set([id]));
}

describe('track racing a merge', () => {
  it('loses no event and counts none twice while the customer is being absorbed', async () => {
    const known = await identify(gw.url, [{ type: 'EMAIL', value: 'race@example.com' }]);
    const anon = { type: 'ANONYMOUS_ID', value: 'race-anon' };
    const first = await track(gw.url, { identity: anon, type: 'Order Completed', properties: { total: 1 } });
    const [orders, merge] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => track(gw.url, { identity: anon, type: 'Order Completed', properties: { total: 1 } }))),
      identify(gw.url, [anon, { type: 'EMAIL', value: 'race@example.com' }]),
    ]);
    expect(merge).toEqual({ customer: { id: known.customer.id }, merged: [first.customerId], rejectedLinks: [] });
    const all = [first, ...orders];
    expect((await eventsOf(known.customer.id)).map((e) => e.id).sort()).toEqual(all.map((t) => t.eventId).sort());
    const response = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { id traits { orderCount lifetimeValue } } }', {
      variables: { id: first.customerId },
      purpose: 'support',
    });
    expect(withoutTraceId(response.body)).toEqual({
      data: { customer: { id: known.customer.id, traits: { orderCount: 21, lifetimeValue: 21 } } },
      extensions: SUPPORT_RELEASE,
    });
  });
});

describe('two gateway instances over one DynamoDB', () => {
  let dynamo: Awaited<ReturnType<typeof startEmbeddedDynamo>>;
  let one: TestGateway;
  let two: TestGateway;
  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo(undefined);
    const env = {
      C360_DYNAMODB_ENDPOINT: dynamo.endpoint,
      C360_DEMO: 'true',
      C360_DEMO_CUSTOMERS: '5',
      C360_SINGLEVIEW_TIMEOUT_MS: '10000',
      C360_RESOLUTION_TIMEOUT_MS: '10000',
      C360_ADMISSION_WAIT_MS: '10000',
    };
    one = await startTestGateway(env);
    two = await startTestGateway(env);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await dynamo?.close();
  });

  it('converge on one customer when their identify and track calls race on the same person', async () => {
    const urls = [one.url, two.url];
    const anonymous = Array.from({ length: 30 }, (_, i) => `two-gw-${i}`);
    const tracked = await Promise.all(anonymous.map((value, i) => track(urls[i % 2]!, { identity: { type: 'ANONYMOUS_ID', value }, type: 'Order Completed', properties: { total: 2 } })));
    const results = await Promise.all(
      anonymous.map((value, i) => identify(urls[(i + 1) % 2]!, [{ type: 'ANONYMOUS_ID', value }, { type: 'EMAIL', value: 'two.gateways@example.com' }])),
    );
    const response = await graphql<Holder & { customerByIdentity: { traits: { orderCount: number } } }>(
      one.url,
      'query { customerByIdentity(type: EMAIL, value: "two.gateways@example.com") { id identities { type value } events(first: 100) { edges { node { id } } } traits { orderCount } } }',
      { purpose: 'support' },
    );
    const holder = response.body.data!.customerByIdentity;
    expect(new Set(results.map((r) => r.customer.id))).toEqual(new Set([holder.id]));
    expect(holder.identities.filter((i) => i.type === 'ANONYMOUS_ID').map((i) => i.value).sort()).toEqual([...anonymous].sort());
    expect(holder.events.edges.map((e) => e.node.id).sort()).toEqual(tracked.map((t) => t.eventId).sort());
    expect(holder.traits.orderCount).toBe(30);
    expect(results.flatMap((r) => r.merged).sort()).toEqual(tracked.map((t) => t.customerId).filter((id) => id !== holder.id).sort());
  });

  it('apply every event of a hot customer exactly once, many events to one customer write', async () => {
    const email = { type: 'EMAIL', value: 'hot.customer@example.com' };
    const { customer } = await identify(one.url, [email]);
    const urls = [one.url, two.url];
    one.spans.reset();
    two.spans.reset();
    // 240 orders to one customer from 48 clients at once, half through each instance, each with its own key.
    const orders = Array.from({ length: 240 }, (_, i) => ({ identity: email, type: 'Order Completed', properties: { total: 1 }, idempotencyKey: `hot-${i}` }));
    let next = 0;
    const answers: Array<Awaited<ReturnType<typeof track>>> = [];
    await Promise.all(
      Array.from({ length: 48 }, async (_, client) => {
        while (next < orders.length) {
          const i = next++;
          answers[i] = await track(urls[(i + client) % 2]!, orders[i]!);
        }
      }),
    );
    expect(answers.every((answer) => answer.customerId === customer.id && !answer.duplicate)).toBe(true);
    expect(new Set(answers.map((answer) => answer.eventId)).size).toBe(orders.length);
    // Events that waited for a write in flight shared the next one: fewer conditional writes of the customer than
    // events, lost races between the instances included (one instance alone used to write once per event). Each is an
    // update of the customer's activity item (connectors/singleview/customerActivity.ts), not a put of the customer.
    const writesOf = (gw: TestGateway, operation: string) => gw.spans.getFinishedSpans().filter((span) => span.attributes['c360.source.operation'] === operation).length;
    const customerWrites = [one, two].map((gw) => writesOf(gw, 'updateCustomerActivity'));
    expect(customerWrites.every((writes) => writes > 0)).toBe(true);
    expect(customerWrites[0]! + customerWrites[1]!).toBeLessThan(orders.length);
    expect(writesOf(one, 'replaceCustomer') + writesOf(two, 'replaceCustomer')).toBeLessThan(customerWrites[0]! + customerWrites[1]!);

    // Retries of keys already used are duplicates, through either instance, and change nothing.
    const retries = await Promise.all(orders.slice(0, 20).map((order, i) => track(urls[i % 2]!, order)));
    expect(retries).toEqual(answers.slice(0, 20).map((answer) => ({ ...answer, duplicate: true })));

    const stored = await timeline(two.url, customer.id);
    expect(stored.ids.sort()).toEqual(answers.map((answer) => answer.eventId).sort());
    expect(stored.traits).toEqual({ orderCount: 240, lifetimeValue: 240 });
  });
});

type TimelinePage = { customer: { traits: unknown; events: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } };

/** A customer's whole timeline (pages of 100) and traits, as the gateway reads them. */
async function timeline(url: string, id: string): Promise<{ ids: string[]; traits: unknown }> {
  const ids: string[] = [];
  let after: string | null = null;
  let traits: unknown;
  for (;;) {
    const page: GraphQLResponse<TimelinePage> = await graphql<TimelinePage>(
      url,
      'query($id: ID!, $after: String) { customer(id: $id) { traits { orderCount lifetimeValue } events(first: 100, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }',
      { variables: { id, after }, purpose: 'support' },
    );
    const customer: TimelinePage['customer'] = page.body.data!.customer;
    traits = customer.traits;
    ids.push(...customer.events.edges.map((edge) => edge.node.id));
    if (!customer.events.pageInfo.hasNextPage) return { ids, traits };
    after = customer.events.pageInfo.endCursor;
  }
}
