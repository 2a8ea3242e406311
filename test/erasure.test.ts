import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { demoCustomer, testDemoData } from './support/demo.js';
import { graphql, startTestGateway, TestClock, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { LoyaltyTestServer } from './support/loyaltyServer.js';
import { ADMIN_KEY, identify, track } from './support/writes.js';

const clock = new TestClock('2026-11-18T09:00:00.000Z');
let loyalty: LoyaltyTestServer;
let gw: TestGateway;
beforeAll(async () => {
  loyalty = new LoyaltyTestServer(testDemoData().loyalty);
  gw = await startTestGateway({ C360_LOYALTY_URL: await loyalty.start(), C360_SINGLEVIEW_TIMEOUT_MS: '5000' }, { clock: clock.now });
});
afterAll(async () => {
  await gw?.close();
  await loyalty?.stop();
});

const FORGET = /* GraphQL */ `
  mutation Forget($id: ID!) {
    forgetCustomer(id: $id) { customerId requestedAt completedAt sources { source status detail } }
  }
`;

async function forget(id: string) {
  const response = await graphql(gw.url, FORGET, { variables: { id }, apiKey: ADMIN_KEY });
  return withoutTraceId(response.body);
}

const receipt = (customerId: string, requestedAt: string, completedAt: string | null, statuses: Record<string, [string, string | null]>) => ({
  data: {
    forgetCustomer: {
      customerId,
      requestedAt,
      completedAt,
      sources: ['singleview', 'crm', 'loyalty', 'resolution'].map((source) => ({ source, status: statuses[source]![0], detail: statuses[source]![1] })),
    },
  },
});

describe('forgetCustomer', () => {
  it('erases a customer from every source, reports a failed source, and finishes on a repeated call', async () => {
    const { id } = DEMO_CUSTOMERS.consent;
    const { customer } = demoCustomer(id);
    expect(loyalty.has(id)).toBe(true);

    loyalty.mode = { kind: 'status', status: 503 };
    const first = await forget(id);
    expect(first).toEqual(
      receipt(id, '2026-11-18T09:00:00.000Z', null, {
        singleview: ['ERASED', null],
        crm: ['ERASED', null],
        loyalty: ['FAILED', 'loyalty source is unavailable: erase HTTP 503'],
        resolution: ['ERASED', null],
      }),
    );
    expect(loyalty.has(id)).toBe(true);

    loyalty.mode = { kind: 'ok' };
    clock.set('2026-11-18T09:05:00.000Z');
    const done = receipt(id, '2026-11-18T09:00:00.000Z', '2026-11-18T09:05:00.000Z', {
      singleview: ['ERASED', null],
      crm: ['ERASED', null],
      loyalty: ['ERASED', null],
      resolution: ['ERASED', null],
    });
    expect(await forget(id)).toEqual(done);
    expect(loyalty.has(id)).toBe(false);
    clock.set('2026-11-18T09:10:00.000Z');
    expect(await forget(id)).toEqual(done);

    // Nothing of the customer is left to read or to resolve.
    const lookups = customer.identities.map((identity, i) => `i${i}: customerByIdentity(type: ${identity.type}, value: ${JSON.stringify(identity.value)}) { id }`);
    const reads = await graphql(gw.url, `query { customer(id: "${id}") { id } ${lookups.join(' ')} }`);
    expect(withoutTraceId(reads.body)).toEqual({
      data: { customer: null, ...Object.fromEntries(customer.identities.map((_, i) => [`i${i}`, null])) },
    });
    const { singleView, crm } = gw.gateway.services.sources;
    expect(await crm.getMany([id])).toEqual([null]);
    expect(await singleView.getEvents(id, { first: 5 })).toEqual({ events: [], hasNextPage: false });
    expect(await singleView.getConsentHistory(id, { first: 5 })).toEqual([]);

    // The audit trail keeps each request, and no personal value.
    const audit = await graphql<{ auditTrail: { edges: Array<{ node: Record<string, unknown> }> } }>(
      gw.url,
      'query($id: ID!) { auditTrail(customerId: $id, first: 50) { edges { node { principal purpose operation customerIds fields { path } at } } } }',
      { variables: { id }, apiKey: ADMIN_KEY },
    );
    const erasures = audit.body.data!.auditTrail.edges.map((edge) => edge.node).filter((node) => node.operation === 'forgetCustomer');
    expect(erasures).toEqual(
      ['2026-11-18T09:10:00.000Z', '2026-11-18T09:05:00.000Z', '2026-11-18T09:00:00.000Z'].map((at) => ({
        principal: 'key:demo_admin',
        purpose: null,
        operation: 'forgetCustomer',
        customerIds: [id],
        fields: [],
        at,
      })),
    );
    const personal = [customer.profile.email, customer.profile.phone, customer.profile.firstName, customer.profile.lastName, ...customer.identities.map((i) => i.value)];
    const auditText = JSON.stringify(audit.body);
    for (const value of personal) expect(auditText).not.toContain(value!);
  });

  it('erases the survivor and every customer it absorbed when asked with an absorbed id', async () => {
    const visitor = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'erase-anon' }, type: 'Page Viewed' });
    const known = await identify(gw.url, [{ type: 'EMAIL', value: 'erase.me@example.com' }, { type: 'PHONE', value: '+1 212 555 0177' }]);
    const merge = await identify(gw.url, [{ type: 'ANONYMOUS_ID', value: 'erase-anon' }, { type: 'EMAIL', value: 'erase.me@example.com' }]);
    expect(merge.merged).toEqual([visitor.customerId]);

    clock.set('2026-11-18T10:00:00.000Z');
    const expected = receipt(known.customer.id, '2026-11-18T10:00:00.000Z', '2026-11-18T10:00:00.000Z', {
      singleview: ['ERASED', null],
      crm: ['NOT_FOUND', null],
      loyalty: ['NOT_FOUND', null],
      resolution: ['ERASED', null],
    });
    expect(await forget(visitor.customerId)).toEqual(expected);
    expect(await forget(known.customer.id)).toEqual(expected);
    const reads = await graphql(
      gw.url,
      `query { a: customer(id: "${visitor.customerId}") { id } b: customer(id: "${known.customer.id}") { id }
        c: customerByIdentity(type: ANONYMOUS_ID, value: "erase-anon") { id } d: customerByIdentity(type: EMAIL, value: "erase.me@example.com") { id }
        e: customerByIdentity(type: PHONE, value: "+12125550177") { id } }`,
    );
    expect(withoutTraceId(reads.body)).toEqual({ data: { a: null, b: null, c: null, d: null, e: null } });
    expect(await gw.gateway.services.sources.singleView.getIdentityLog(known.customer.id, 10)).toEqual([]);

    // The same anonymous id later is a new person.
    const again = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'erase-anon' }, type: 'Page Viewed' });
    expect([visitor.customerId, known.customer.id]).not.toContain(again.customerId);
  });

  it('answers NOT_FOUND everywhere for an id no source knows', async () => {
    clock.set('2026-11-18T11:00:00.000Z');
    expect(await forget('cus_never_existed')).toEqual(
      receipt('cus_never_existed', '2026-11-18T11:00:00.000Z', '2026-11-18T11:00:00.000Z', {
        singleview: ['NOT_FOUND', null],
        crm: ['NOT_FOUND', null],
        loyalty: ['NOT_FOUND', null],
        resolution: ['NOT_FOUND', null],
      }),
    );
  });
});
