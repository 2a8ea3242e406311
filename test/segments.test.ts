import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateAllSegments } from '../src/segments/batch.js';
import { loadSegmentFile } from '../src/segments/definitions.js';
import { evaluateMemberships } from '../src/segments/evaluate.js';
import { demoCustomer } from './support/demo.js';
import { graphql, startTestGateway, TestClock, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { identify, setConsent, track } from './support/writes.js';

const clock = new TestClock('2026-11-15T10:00:00.000Z');
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ C360_DEMO_CUSTOMERS: '20' }, { clock: clock.now });
});
afterAll(() => gw?.close());

const SEGMENTS_OF = /* GraphQL */ `
  query($id: ID!) { customer(id: $id) { segments { segment { id } since } } }
`;

async function segmentsOf(id: string) {
  const response = await graphql<{ customer: { segments: Array<{ segment: { id: string }; since: string }> } }>(gw.url, SEGMENTS_OF, {
    variables: { id },
    purpose: 'support',
  });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.customer.segments.map((m) => ({ id: m.segment.id, since: m.since }));
}

describe('real-time segments', () => {
  it('abandoned cart: entered on a track an hour after Product Added, left on Order Completed', async () => {
    clock.set('2026-11-15T10:00:00.000Z');
    const anon = { type: 'ANONYMOUS_ID', value: 'cart-anon' };
    const added = await track(gw.url, { identity: anon, type: 'Product Added', properties: { productId: 'sku-1' } });
    expect(await segmentsOf(added.customerId)).toEqual([{ id: 'recently_active', since: '2026-11-15T10:00:00.000Z' }]);

    clock.set('2026-11-15T10:30:00.000Z');
    await track(gw.url, { identity: anon, type: 'Page Viewed' });
    expect((await segmentsOf(added.customerId)).map((m) => m.id)).toEqual(['recently_active']);

    clock.set('2026-11-15T11:01:00.000Z');
    await track(gw.url, { identity: anon, type: 'Page Viewed' });
    expect(await segmentsOf(added.customerId)).toEqual([
      { id: 'recently_active', since: '2026-11-15T10:00:00.000Z' },
      { id: 'abandoned_cart', since: '2026-11-15T11:00:00.000Z' },
    ]);

    clock.set('2026-11-15T11:05:00.000Z');
    await track(gw.url, { identity: anon, type: 'Order Completed', properties: { total: 25 } });
    expect(await segmentsOf(added.customerId)).toEqual([{ id: 'recently_active', since: '2026-11-15T10:00:00.000Z' }]);
  });

  it('setConsent re-evaluates: marketing_reachable follows the marketing decision, recently_active lapses', async () => {
    clock.set('2026-11-15T12:00:00.000Z');
    const visitor = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'consent-segments' }, type: 'Page Viewed' });
    await setConsent(gw.url, { customerId: visitor.customerId, purpose: 'MARKETING', status: 'GRANTED', source: 'cookie-banner' });
    expect(await segmentsOf(visitor.customerId)).toEqual([
      { id: 'recently_active', since: '2026-11-15T12:00:00.000Z' },
      { id: 'marketing_reachable', since: '2026-11-15T12:00:00.000Z' },
    ]);

    clock.set('2026-11-23T12:00:00.000Z'); // eight days on: no longer "active in the last 7 days"
    await setConsent(gw.url, { customerId: visitor.customerId, purpose: 'MARKETING', status: 'DENIED', source: 'cookie-banner' });
    expect(await segmentsOf(visitor.customerId)).toEqual([]);
  });

  it('identify re-evaluates the survivor, which also keeps the memberships of the customer it absorbed', async () => {
    clock.set('2026-11-16T09:00:00.000Z');
    const reader = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'segments-reader' }, type: 'Email Opened' });
    const known = await identify(gw.url, [{ type: 'EMAIL', value: 'segments.reader@example.com' }]);
    expect(await segmentsOf(known.customer.id)).toEqual([]);
    clock.set('2026-11-16T09:10:00.000Z');
    await identify(gw.url, [
      { type: 'EMAIL', value: 'segments.reader@example.com' },
      { type: 'ANONYMOUS_ID', value: 'segments-reader' },
    ]);
    expect(await segmentsOf(reader.customerId)).toEqual([
      { id: 'recently_active', since: '2026-11-16T09:00:00.000Z' },
      { id: 'email_engaged', since: '2026-11-16T09:00:00.000Z' },
    ]);
  });
});

describe('batch evaluation (npm run segments:evaluate)', () => {
  it('re-evaluates every segment for every customer at the given time', async () => {
    clock.set('2026-11-05T00:00:00.000Z');
    const { ports, segments } = gw.gateway.services;
    const result = await evaluateAllSegments({ singleView: ports.singleView, segments, clock: clock.now });
    expect(result.scanned).toBeGreaterThanOrEqual(22);

    const specs = loadSegmentFile().segments;
    for (const id of ['cus_demo_customer', 'cus_000003', 'cus_000007']) {
      const { customer } = demoCustomer(id);
      const facts = { traits: customer.traits, consents: customer.consents, lastEventAt: customer.lastEventAt ?? {} };
      const expected = evaluateMemberships(specs, facts, customer.segments, new Date('2026-11-05T00:00:00.000Z'));
      const order = new Map(expected.map((m, i) => [m.segmentId, i]));
      const actual = await segmentsOf(id);
      expect([...actual].sort((a, b) => order.get(a.id)! - order.get(b.id)!)).toEqual(expected.map((m) => ({ id: m.segmentId, since: m.since })));
    }
  });

  it('lists the definitions', async () => {
    const response = await graphql(gw.url, '{ segments { id name realtime } }');
    expect(withoutTraceId(response.body)).toEqual({
      data: { segments: loadSegmentFile().segments.map(({ id, name, realtime }) => ({ id, name, realtime })) },
    });
  });
});
