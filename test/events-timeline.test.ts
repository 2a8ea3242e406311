import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestGateway, TestClock } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { track } from './support/writes.js';

const clock = new TestClock('2026-11-21T00:00:00.000Z');
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ C360_DEMO_CUSTOMERS: '10' }, { clock: clock.now });
});
afterAll(() => gw?.close());

const PAGE = /* GraphQL */ `
  query Page($id: ID!, $first: Int, $after: String, $types: [String!], $since: DateTime, $until: DateTime, $order: EventOrder) {
    customer(id: $id) {
      events(first: $first, after: $after, types: $types, since: $since, until: $until, order: $order) {
        edges { cursor node { id type occurredAt } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`;

type Page = {
  customer: {
    events: { edges: Array<{ cursor: string; node: { id: string; type: string; occurredAt: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } };
  };
};

async function page(id: string, variables: Record<string, unknown>) {
  const response = await graphql<Page>(gw.url, PAGE, { variables: { id, ...variables }, purpose: 'support' });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.customer.events;
}

/** Minutes after 10:00 on the test day. */
const at = (minute: number) => new Date(Date.parse('2026-11-20T10:00:00.000Z') + minute * 60_000).toISOString();

describe('the events timeline', () => {
  it('pages stably while new and late events arrive; late events land in their place', async () => {
    const anon = { type: 'ANONYMOUS_ID', value: 'timeline-anon' };
    const original: Array<{ id: string; minute: number }> = [];
    for (let minute = 0; minute < 10; minute++) {
      const result = await track(gw.url, { identity: anon, type: minute % 2 ? 'Page Viewed' : 'Product Viewed', occurredAt: at(minute * 10) });
      original.push({ id: result.eventId, minute: minute * 10 });
    }
    const opened = await track(gw.url, { identity: anon, type: 'Email Opened', occurredAt: at(200) });
    const customerId = opened.customerId;

    const first = await page(customerId, { first: 4 });
    expect(first.edges.map((e) => e.node.id)).toEqual(original.slice(0, 4).map((e) => e.id));
    expect(first.pageInfo.hasNextPage).toBe(true);

    // While the client pages: a late event before its position, one after it, and a new one.
    const before = await track(gw.url, { identity: anon, type: 'Late Before', occurredAt: at(15) });
    const after = await track(gw.url, { identity: anon, type: 'Late After', occurredAt: at(55) });
    const newest = await track(gw.url, { identity: anon, type: 'Newest', occurredAt: at(300) });

    const rest: string[] = [];
    let cursor = first.pageInfo.endCursor;
    for (let guard = 0; cursor && guard < 10; guard++) {
      const next = await page(customerId, { first: 4, after: cursor });
      rest.push(...next.edges.map((e) => e.node.id));
      cursor = next.pageInfo.hasNextPage ? next.pageInfo.endCursor : null;
    }
    const expectedRest = [...original.slice(4, 6).map((e) => e.id), after.eventId, ...original.slice(6).map((e) => e.id)];
    expect(rest).toEqual([...expectedRest, opened.eventId, newest.eventId]);

    // A fresh read shows the late event before the cursor in its place.
    const whole = await page(customerId, { first: 100 });
    expect(whole.edges.map((e) => e.node.occurredAt)).toEqual([...whole.edges.map((e) => e.node.occurredAt)].sort());
    expect(whole.edges[2]!.node).toEqual({ id: before.eventId, type: 'Late Before', occurredAt: at(15) });
  });

  it('orders events with the same occurredAt by arrival, and a cursor between them holds', async () => {
    const anon = { type: 'ANONYMOUS_ID', value: 'timeline-ties' };
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(1);
      ids.push((await track(gw.url, { identity: anon, type: 'Tie', occurredAt: at(500) })).eventId);
    }
    const customerId = (await track(gw.url, { identity: anon, type: 'Tie', occurredAt: at(501) })).customerId;
    const one = await page(customerId, { first: 1 });
    const two = await page(customerId, { first: 2, after: one.pageInfo.endCursor });
    expect([...one.edges, ...two.edges].map((e) => e.node.id)).toEqual(ids);
  });

  it('filters by type and by time window', async () => {
    const anon = { type: 'ANONYMOUS_ID', value: 'timeline-filters' };
    const events = [];
    for (let minute = 0; minute < 6; minute++) {
      events.push({ ...(await track(gw.url, { identity: anon, type: minute < 3 ? 'A' : 'B', occurredAt: at(minute) })), minute, type: minute < 3 ? 'A' : 'B' });
    }
    const customerId = events[0]!.customerId;
    const onlyB = await page(customerId, { first: 10, types: ['B'] });
    expect(onlyB.edges.map((e) => e.node.id)).toEqual(events.filter((e) => e.type === 'B').map((e) => e.eventId));
    const window = await page(customerId, { first: 10, since: at(1), until: at(4) });
    expect(window.edges.map((e) => e.node.id)).toEqual(events.slice(1, 5).map((e) => e.eventId));
    const typedWindow = await page(customerId, { first: 1, types: ['A'], since: at(1) });
    expect(typedWindow.edges.map((e) => e.node.id)).toEqual([events[1]!.eventId]);
    const nextTyped = await page(customerId, { first: 5, types: ['A'], since: at(1), after: typedWindow.pageInfo.endCursor });
    expect({ ids: nextTyped.edges.map((e) => e.node.id), more: nextTyped.pageInfo.hasNextPage }).toEqual({ ids: [events[2]!.eventId], more: false });
  });

  it('pages newest first when asked, with the same filters and cursors, and oldest first by default', async () => {
    const anon = { type: 'ANONYMOUS_ID', value: 'timeline-newest' };
    const events = [];
    for (let minute = 0; minute < 7; minute++) {
      events.push({ ...(await track(gw.url, { identity: anon, type: minute % 2 ? 'Odd' : 'Even', occurredAt: at(600 + minute) })), type: minute % 2 ? 'Odd' : 'Even' });
    }
    const customerId = events[0]!.customerId;
    const newest = [...events].reverse().map((e) => e.eventId);

    const ids: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const next = await page(customerId, { first: 3, order: 'NEWEST_FIRST', ...(cursor ? { after: cursor } : {}) });
      ids.push(...next.edges.map((e) => e.node.id));
      if (!next.pageInfo.hasNextPage) break;
      cursor = next.pageInfo.endCursor;
    }
    expect(ids).toEqual(newest);

    const oddInWindow = await page(customerId, { first: 10, order: 'NEWEST_FIRST', types: ['Odd'], since: at(601), until: at(605) });
    expect(oddInWindow.edges.map((e) => e.node.id)).toEqual([events[5]!, events[3]!, events[1]!].map((e) => e.eventId));
    expect((await page(customerId, { first: 10 })).edges.map((e) => e.node.id)).toEqual(events.map((e) => e.eventId));
    expect((await page(customerId, { first: 10, order: 'OLDEST_FIRST' })).edges.map((e) => e.node.id)).toEqual(events.map((e) => e.eventId));
  });

  it('refuses an order it does not know, naming the variable', async () => {
    const response = await graphql(gw.url, PAGE, { variables: { id: 'cus_demo_customer', order: 'RANDOM' } });
    expect({ status: response.status, code: response.body.errors?.[0]?.extensions?.code, message: response.body.errors?.[0]?.message }).toEqual({
      status: 400,
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('$order'),
    });
  });

  it('refuses a cursor it did not hand out', async () => {
    const response = await graphql(gw.url, PAGE, { variables: { id: 'cus_demo_customer', first: 2, after: 'not-a-cursor!' }, purpose: 'support' });
    expect(response.body.errors).toEqual([
      expect.objectContaining({ path: ['customer', 'events'], extensions: { code: 'BAD_USER_INPUT', field: 'after' } }),
    ]);
  });
});
