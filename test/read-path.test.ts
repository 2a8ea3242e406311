import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { loadSegmentFile } from '../src/segments/definitions.js';
import { dynamoSingleView, startTestGateway, graphql, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { demoCustomer, testDemoData } from './support/demo.js';

const FULL_CUSTOMER = /* GraphQL */ `
  query FullCustomer($id: ID!) {
    customer(id: $id) {
      id
      createdAt
      updatedAt
      profile { firstName lastName email phone birthDate address { line1 city postalCode country } }
      identities { type value source firstSeenAt lastSeenAt }
      consents { purpose status channel updatedAt source }
      segments { segment { id name description realtime } since }
      loyalty { memberId tier pointsBalance lifetimePoints tierExpiresAt }
      crm { crmId accountManager openCases { id subject status openedAt } }
      traits { lifetimeValue orderCount firstSeenAt lastSeenAt }
      events(first: 5) { edges { cursor node { id type occurredAt channel source properties } } pageInfo { hasNextPage endCursor } }
    }
  }
`;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.close());

/** What the gateway should answer for a demo customer, built from the demo data set itself. */
function expectedCustomer(id: string) {
  const { customer, events, crm, loyalty } = demoCustomer(id);
  const segments = loadSegmentFile().segments;
  return {
    id: customer.id,
    createdAt: customer.createdAt,
    updatedAt: customer.updatedAt,
    profile: customer.profile,
    identities: customer.identities,
    consents: customer.consents,
    segments: customer.segments.map((m) => {
      const { id: segmentId, name, description, realtime } = segments.find((s) => s.id === m.segmentId)!;
      return { segment: { id: segmentId, name, description, realtime }, since: m.since };
    }),
    loyalty: loyalty && {
      memberId: loyalty.memberId,
      tier: loyalty.tier,
      pointsBalance: loyalty.pointsBalance,
      lifetimePoints: loyalty.lifetimePoints,
      tierExpiresAt: loyalty.tierExpiresAt,
    },
    crm: crm && {
      crmId: crm.crmId,
      accountManager: crm.accountManager,
      openCases: crm.cases.filter((c) => !c.closed).map(({ id, subject, status, openedAt }) => ({ id, subject, status, openedAt })),
    },
    traits: customer.traits,
    events: {
      edges: events.slice(0, 5).map((e) => ({
        cursor: expect.any(String),
        node: { id: e.id, type: e.type, occurredAt: e.occurredAt, channel: e.channel, source: e.source, properties: e.properties },
      })),
      pageInfo: { hasNextPage: true, endCursor: expect.any(String) },
    },
  };
}

describe('read path over HTTP', () => {
  it('runs under the executor its vitest project names (C360_EXECUTOR), so the stock-executor run is really stock', () => {
    expect(gw.gateway.services.config.executor).toBe(process.env.C360_EXECUTOR ?? 'jit');
  });

  it('assembles a customer from the single view, CRM and loyalty', async () => {
    // The call centre's purpose: every personal field is released as it is (src/privacy/, docs/privacy.md).
    const response = await graphql(gw.url, FULL_CUSTOMER, { variables: { id: DEMO_CUSTOMERS.consent.id }, purpose: 'support' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      data: { customer: expectedCustomer(DEMO_CUSTOMERS.consent.id) },
      extensions: { traceId: expect.stringMatching(/^[0-9a-f]{32}$/), privacy: { purpose: 'SUPPORT', fields: [] } },
    });
  });

  it('finds a customer by an identifier written differently, normalized first', async () => {
    const { customer } = demoCustomer(DEMO_CUSTOMERS.noConsent.id);
    const phone = customer.profile.phone!; // +1AAA555LLLL
    const national = `(${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`;
    const query = 'query($t: IdentityType!, $v: String!) { customerByIdentity(type: $t, value: $v) { id } }';
    for (const [type, value] of [
      ['EMAIL', '  Demo.NoConsent@Example.COM '],
      ['PHONE', national],
      ['PHONE', phone],
    ]) {
      const response = await graphql(gw.url, query, { variables: { t: type, v: value } });
      expect(withoutTraceId(response.body)).toEqual({ data: { customerByIdentity: { id: DEMO_CUSTOMERS.noConsent.id } } });
    }
    const unknown = await graphql(gw.url, query, { variables: { t: 'EMAIL', v: 'nobody@example.com' } });
    expect(withoutTraceId(unknown.body)).toEqual({ data: { customerByIdentity: null } });
  });

  it('answers customers(ids:) in the order asked, null for unknown ids', async () => {
    const ids = ['cus_000003', 'cus_unknown', 'cus_000001', 'cus_000003'];
    const response = await graphql(gw.url, 'query($ids: [ID!]!) { customers(ids: $ids) { id traits { orderCount } } }', {
      variables: { ids },
      purpose: 'support',
    });
    const orderCount = (id: string) => demoCustomer(id).customer.traits.orderCount;
    expect(withoutTraceId(response.body)).toEqual({
      data: {
        customers: [
          { id: 'cus_000003', traits: { orderCount: orderCount('cus_000003') } },
          null,
          { id: 'cus_000001', traits: { orderCount: orderCount('cus_000001') } },
          { id: 'cus_000003', traits: { orderCount: orderCount('cus_000003') } },
        ],
      },
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
  });

  it('pages the timeline in time order with opaque cursors, with type and time filters', async () => {
    const id = DEMO_CUSTOMERS.consent.id;
    const all = demoCustomer(id).events;
    const query = `query($id: ID!, $after: String, $types: [String!], $since: DateTime, $until: DateTime) {
      customer(id: $id) { events(first: 7, after: $after, types: $types, since: $since, until: $until) {
        edges { node { id } } pageInfo { hasNextPage endCursor } } } }`;
    type Page = { customer: { events: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } } };
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const response: Awaited<ReturnType<typeof graphql<Page>>> = await graphql<Page>(gw.url, query, { variables: { id, after }, purpose: 'support' });
      const events = response.body.data!.customer.events;
      seen.push(...events.edges.map((e) => e.node.id));
      if (!events.pageInfo.hasNextPage) break;
      after = events.pageInfo.endCursor;
    }
    expect(seen).toEqual(all.map((e) => e.id));

    const orders = await graphql<{ customer: { events: { edges: Array<{ node: { id: string } }> } } }>(gw.url, query, {
      variables: { id, types: ['Order Completed'] },
      purpose: 'support',
    });
    expect(orders.body.data!.customer.events.edges.map((e) => e.node.id)).toEqual(
      all.filter((e) => e.type === 'Order Completed').map((e) => e.id).slice(0, 7),
    );

    const since = all[3]!.occurredAt;
    const until = all[9]!.occurredAt;
    const window = await graphql<{ customer: { events: { edges: Array<{ node: { id: string } }> } } }>(gw.url, query, {
      variables: { id, since, until },
      purpose: 'support',
    });
    expect(window.body.data!.customer.events.edges.map((e) => e.node.id)).toEqual(all.slice(3, 10).map((e) => e.id));
  });

  it('answers an id absorbed by a merge with the survivor, whose loyalty is found by the LOYALTY_ID it took over', async () => {
    const store = dynamoSingleView(gw);
    // cus_000012 has no loyalty account of its own; cus_000011 has one.
    const survivor = demoCustomer('cus_000012');
    const absorbed = demoCustomer('cus_000011');
    expect([survivor.loyalty, absorbed.loyalty === null]).toEqual([null, false]);
    const now = new Date().toISOString();
    // What a merge leaves behind: the absorbed record points at the survivor, which lists it as an
    // alias and holds its identifiers (the loyalty system knows the member id only).
    const memberIdentity = absorbed.customer.identities.find((identity) => identity.type === 'LOYALTY_ID')!;
    await store.batchWrite(store.tables.customers, [
      { ...absorbed.customer, identities: [], mergedInto: survivor.customer.id, updatedAt: now, version: 2 },
      { ...survivor.customer, identities: [...survivor.customer.identities, memberIdentity], aliases: [absorbed.customer.id], updatedAt: now, version: 2 },
    ]);
    const response = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { id loyalty { memberId } } }', {
      variables: { id: absorbed.customer.id },
      purpose: 'support',
    });
    expect(withoutTraceId(response.body)).toEqual({
      data: { customer: { id: survivor.customer.id, loyalty: { memberId: absorbed.loyalty!.memberId } } },
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
  });

  it('lists the segment definitions', async () => {
    const response = await graphql(gw.url, '{ segments { id name description realtime } }');
    expect(withoutTraceId(response.body)).toEqual({
      data: { segments: loadSegmentFile().segments.map(({ id, name, description, realtime }) => ({ id, name, description, realtime })) },
    });
  });

  it('holds the whole demo data set', () => {
    expect(testDemoData().customers.length).toBe(122);
  });
});

describe('health endpoints', () => {
  it('GET /healthz says the process is up', async () => {
    const response = await fetch(`${gw.url}/healthz`);
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('GET /readyz reports every source', async () => {
    const response = await fetch(`${gw.url}/readyz`, { headers: { 'x-api-key': 'c360_demo_admin' } });
    const source = (adapter: string, required: boolean) => ({
      status: 'up',
      required,
      adapter,
      circuit: 'closed',
      latencyMs: expect.any(Number),
    });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 200,
      body: {
        status: 'ready',
        sources: {
          singleview: source('dynamodb (embedded dynalite)', true),
          crm: source('embedded', false),
          loyalty: source('embedded', false),
          resolution: source('embedded', true),
        },
        keyLookups: { circuit: 'closed' },
        slowClients: { headers: 0, body: 0, request: 0 },
        // This request itself does not hold a slot: /readyz is not an operation.
        admission: { limit: 32, running: 0, queued: 0, shed: { queueFull: 0, waitedTooLong: 0 } },
      },
    });
  });
});
