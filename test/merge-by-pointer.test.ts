import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../src/domain/index.js';
import { newJob } from '../src/jobs/worker.js';
import { startEmbeddedDynamo } from '../src/embedded/dynalite.js';
import { dynamoSingleView, graphql, startTestGateway } from './support/gateway.js';
import type { GraphQLResponse, TestGateway } from './support/gateway.js';
import { ADMIN_KEY, identifyVerified, setConsent, track } from './support/writes.js';
import { changeMiddleware } from './support/middleware.js';

/**
 * Merges by pointer (docs/identity-resolution.md "Merges by pointer"): a
 * merge moves no history, whatever its length; reads gather the absorbed
 * ids' events and consent decisions; an erasure hands the history to the
 * background worker, which deletes every absorbed id's. On dynalite, through
 * the real gateway; DynamoDB calls counted through the real SDK client.
 */
let gw: TestGateway;
beforeAll(async () => {
  // No worker yet: what a request does is measured alone; the erasure test starts it, as a gateway does at start.
  gw = await startTestGateway({ C360_DEMO_CUSTOMERS: '10', C360_RATE_LIMIT_PER_MINUTE: '0', C360_SINGLEVIEW_TIMEOUT_MS: '10000', C360_JOBS_WORKER: 'false', C360_SEGMENTS_WORKER_MS: '0' }); // no background calls counted as the request's
});
afterAll(() => gw?.close());

/**
 * Every DynamoDB call the gateway's client sends from now on, by command and
 * table; apart: the background poll for jobs, and the API key lookup
 * (authentication's, at most once per key per cache period, so a slow
 * machine may or may not see it inside the request).
 */
function recordCalls(): { calls: string[]; stop(): void } {
  const store = dynamoSingleView(gw);
  const calls: string[] = [];
  const name = `count-${Math.random()}`;
  changeMiddleware(store.client, (stack) => stack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown> };
      const tables = input.TableName ? [input.TableName] : Object.keys(input.RequestItems ?? {});
      const background = (context.commandName === 'ScanCommand' && tables[0] === store.tables.jobs) || tables[0] === store.tables.apiKeys;
      if (!background) calls.push(`${context.commandName} ${tables.map((t) => t.slice(t.lastIndexOf('_') + 1)).join(',')}`);
      return next(args);
    },
    { step: 'initialize', name },
  ));
  return { calls, stop: () => changeMiddleware(store.client, (stack) => stack.remove(name)) };
}

/** `count` events on `customerId`'s own timeline, one a minute from `start`, as `track` stores them. */
async function history(customerId: string, count: number, start: number, via: string): Promise<EventRecord[]> {
  const events = Array.from({ length: count }, (_, i) => ({
    id: `evt_${customerId.slice(-8)}_${String(i).padStart(5, '0')}`,
    customerId,
    type: i % 10 === 0 ? 'Order Completed' : 'Page Viewed',
    occurredAt: new Date(start + i * 60_000).toISOString(),
    receivedAt: new Date(start + i * 60_000).toISOString(),
    channel: 'web',
    source: 'test',
    properties: i % 10 === 0 ? { total: 1 } : {},
    via,
  }));
  await dynamoSingleView(gw).putEvents(events);
  return events;
}

const EVENTS = /* GraphQL */ `
  query Timeline($id: ID!, $first: Int!, $after: String, $order: EventOrder) {
    customer(id: $id) { id events(first: $first, after: $after, order: $order) { edges { cursor node { id occurredAt } } pageInfo { hasNextPage endCursor } } }
  }
`;

type TimelineAnswer = { customer: { events: { edges: Array<{ node: { id: string; occurredAt: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } };

async function wholeTimeline(id: string, first: number, order: 'OLDEST_FIRST' | 'NEWEST_FIRST'): Promise<{ ids: string[]; times: string[]; pages: number }> {
  const ids: string[] = [];
  const times: string[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const response: GraphQLResponse<TimelineAnswer> = await graphql<TimelineAnswer>(
      gw.url,
      EVENTS,
      { variables: { id, first, after, order }, purpose: 'support' },
    );
    expect(response.body.errors).toBeUndefined();
    const { edges, pageInfo } = response.body.data!.customer.events;
    pages += 1;
    expect(edges.length).toBeLessThanOrEqual(first);
    for (const edge of edges) {
      ids.push(edge.node.id);
      times.push(edge.node.occurredAt);
    }
    if (!pageInfo.hasNextPage) return { ids, times, pages };
    after = pageInfo.endCursor;
  }
}

describe('a merge moves no history', () => {
  it('merges a visitor with thousands of events in the same few DynamoDB calls as one with a single event, and reads every event after', async () => {
    const costOf = async (tag: string, events: number, cold = false) => {
      const visitor = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: `${tag}-anon` }, type: 'Page Viewed' });
      await history(visitor.customerId, events, Date.UTC(2026, 0, 1), `ANONYMOUS_ID#${tag}-anon`);
      const known = await identifyVerified(gw.url, [{ type: 'EMAIL', value: `${tag}@example.com` }]);
      // An instance that has not seen these customers (another instance served them, or they left its write cache).
      if (cold) for (const id of [visitor.customerId, known.customer.id]) gw.gateway.services.erasure.cache.forget(id);
      const recorder = recordCalls();
      const merge = await identifyVerified(gw.url, [{ type: 'ANONYMOUS_ID', value: `${tag}-anon` }, { type: 'EMAIL', value: `${tag}@example.com` }]);
      recorder.stop();
      expect(merge).toEqual({ customer: { id: known.customer.id }, merged: [visitor.customerId], rejectedLinks: [] });
      return { calls: recorder.calls, survivor: known.customer.id, visitor: visitor.customerId };
    };
    const small = await costOf('ptr-small', 1);
    const large = await costOf('ptr-large', 2000);
    // Issue 20: at most 10 DynamoDB calls inside the identify, and none of them depends on the history's length. Both
    // customers were written through this gateway, so its write cache names them as the holders of the call's
    // identifiers: they are read in the same BatchGetItem as the identity index and the suppression list.
    expect(large.calls.length, JSON.stringify(large.calls)).toBeLessThanOrEqual(9);
    expect(large.calls.filter((call) => call.startsWith('BatchGetItem'))).toHaveLength(1);
    // The identity change log and the audit record leave together, in one BatchWriteItem.
    expect(large.calls.filter((call) => call.startsWith('BatchWriteItem'))).toEqual(['BatchWriteItemCommand log,audit']);
    // Without them in the write cache, the customers are read once the index has named them: one call more, 10 in all.
    const cold = await costOf('ptr-cold', 2000, true);
    expect(cold.calls.length, JSON.stringify({ cold: cold.calls, large: large.calls })).toBe(large.calls.length + 1);
    expect(cold.calls.length).toBeLessThanOrEqual(10);
    const reads = cold.calls.filter((call) => call.startsWith('BatchGetItem')).map((call) => call.split(' ')[1]!.split(',').sort().join(','));
    expect(reads).toEqual(['identities,suppressions', 'activity,customers']);
    expect(cold.calls.filter((call) => !call.startsWith('BatchGetItem')).sort()).toEqual(large.calls.filter((call) => !call.startsWith('BatchGetItem')).sort());
    expect([...large.calls].sort()).toEqual([...small.calls].sort());
    expect(large.calls.filter((call) => call.endsWith(' events'))).toEqual([]);

    // The 2,000 events stayed under the visitor's id, and read through the survivor.
    expect((await dynamoSingleView(gw).getEvents(large.visitor, { first: 1 })).events).toHaveLength(1);
    const timeline = await wholeTimeline(large.visitor, 100, 'OLDEST_FIRST');
    expect(timeline.ids).toHaveLength(2001);
    expect(new Set(timeline.ids).size).toBe(2001);
  });
});

describe('the write cache’s holders', () => {
  it('only choose what is read beside the identity index: the customer the index names is the one the identifiers join', async () => {
    // This gateway remembers the visitor as the holder of its anonymous id; then the index moves the id to another
    // customer behind its back (as another instance's merge would).
    const visitor = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'ptr-stale-anon' }, type: 'Page Viewed' });
    const other = await identifyVerified(gw.url, [{ type: 'EMAIL', value: 'ptr.stale@example.com' }]);
    expect(await dynamoSingleView(gw).moveIdentity({ type: 'ANONYMOUS_ID', value: 'ptr-stale-anon' }, [visitor.customerId], other.customer.id)).toBe('written');
    const recorder = recordCalls();
    const linked = await identifyVerified(gw.url, [{ type: 'ANONYMOUS_ID', value: 'ptr-stale-anon' }, { type: 'PHONE', value: '+1 212 555 0142' }]);
    recorder.stop();
    expect(linked).toEqual({ customer: { id: other.customer.id }, merged: [], rejectedLinks: [] });
    // The guessed visitor was read beside the index, the customer the index named after it.
    expect(recorder.calls.filter((call) => call.startsWith('BatchGetItem'))).toHaveLength(2);
  });
});

describe('a merged customer’s timeline', () => {
  it('pages in time order across the ids it absorbed, both ways, with one cursor', async () => {
    // Three customers whose events interleave in time: one a minute each, offset by 20 seconds.
    const start = Date.UTC(2026, 5, 1);
    const people = ['ptr-order-a', 'ptr-order-b', 'ptr-order-c'];
    const ids: string[] = [];
    for (const [i, tag] of people.entries()) {
      const visitor = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: tag }, type: 'Session Started', occurredAt: new Date(start - 60_000 * (i + 1)).toISOString() });
      ids.push(visitor.customerId);
      await history(visitor.customerId, 40, start + i * 20_000, `ANONYMOUS_ID#${tag}`);
    }
    await identifyVerified(gw.url, [{ type: 'EMAIL', value: 'ptr.order@example.com' }, { type: 'ANONYMOUS_ID', value: people[0]! }]);
    const merged = await identifyVerified(gw.url, [{ type: 'EMAIL', value: 'ptr.order@example.com' }, { type: 'ANONYMOUS_ID', value: people[1]! }, { type: 'ANONYMOUS_ID', value: people[2]! }]);
    expect(merged.merged.length).toBeGreaterThan(0);

    const all = 3 * 41;
    for (const order of ['OLDEST_FIRST', 'NEWEST_FIRST'] as const) {
      const { ids: seen, times, pages } = await wholeTimeline(ids[1]!, 7, order);
      expect(seen).toHaveLength(all);
      expect(new Set(seen).size).toBe(all);
      expect(pages).toBe(Math.ceil(all / 7));
      const sorted = [...times].sort();
      expect(times).toEqual(order === 'OLDEST_FIRST' ? sorted : sorted.reverse());
    }
  });

  it('reads consent decisions given to an absorbed id as the survivor’s, newest first, saying where they came from', async () => {
    const visitor = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'ptr-consent' }, type: 'Page Viewed' });
    await setConsent(gw.url, { customerId: visitor.customerId, purpose: 'ANALYTICS', status: 'GRANTED', source: 'cookie-banner' });
    const known = await identifyVerified(gw.url, [{ type: 'EMAIL', value: 'ptr.consent@example.com' }]);
    await setConsent(gw.url, { customerId: known.customer.id, purpose: 'MARKETING', status: 'DENIED', source: 'preference-centre' });
    await identifyVerified(gw.url, [{ type: 'EMAIL', value: 'ptr.consent@example.com' }, { type: 'ANONYMOUS_ID', value: 'ptr-consent' }]);
    const response = await graphql<{ customer: { consentHistory: Array<Record<string, unknown>> } }>(
      gw.url,
      'query($id: ID!) { customer(id: $id) { consentHistory { purpose status source note } } }',
      { variables: { id: known.customer.id }, purpose: 'support' },
    );
    expect({ errors: response.body.errors, data: response.body.data }).toEqual({
      errors: undefined,
      data: {
        customer: {
          consentHistory: [
            { purpose: 'MARKETING', status: 'DENIED', source: 'preference-centre', note: null },
            { purpose: 'ANALYTICS', status: 'GRANTED', source: 'cookie-banner', note: 'merged from another customer' },
          ],
        },
      },
    });
    // Nothing was copied: the decision is still only under the id it was given to.
    expect(await dynamoSingleView(gw).getConsentHistory(known.customer.id, { first: 10 })).toHaveLength(1);
  });
});

const FORGET = /* GraphQL */ `
  mutation Forget($id: ID!) {
    forgetCustomer(id: $id) { customerId completedAt sources { source status progress { itemsDeleted customerIdsDone customerIdsTotal completedAt } } }
  }
`;

type Receipt = { forgetCustomer: { customerId: string; completedAt: string | null; sources: Array<{ source: string; status: string; progress: Record<string, unknown> | null }> } };

describe('erasure of a merged customer', () => {
  it('erases every absorbed id’s events, consent history and identity log: the request does its part, the worker the rest', async () => {
    const visitor = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'ptr-erase' }, type: 'Page Viewed' });
    await history(visitor.customerId, 2000, Date.UTC(2025, 0, 1), 'ANONYMOUS_ID#ptr-erase');
    await setConsent(gw.url, { customerId: visitor.customerId, purpose: 'ANALYTICS', status: 'GRANTED', source: 'cookie-banner' });
    const known = await identifyVerified(gw.url, [{ type: 'EMAIL', value: 'ptr.erase@example.com' }]);
    await track(gw.url, { identity: { type: 'EMAIL', value: 'ptr.erase@example.com' }, type: 'Email Opened' });
    await identifyVerified(gw.url, [{ type: 'EMAIL', value: 'ptr.erase@example.com' }, { type: 'ANONYMOUS_ID', value: 'ptr-erase' }]);
    const ids = [known.customer.id, visitor.customerId];

    const recorder = recordCalls();
    const first = await graphql<Receipt>(gw.url, FORGET, { variables: { id: visitor.customerId }, apiKey: ADMIN_KEY });
    recorder.stop();
    expect(first.body.errors).toBeUndefined();
    const singleview = first.body.data!.forgetCustomer.sources.find((source) => source.source === 'singleview')!;
    // Too much history for the request's few pages: it reports where the worker stands.
    expect(singleview).toEqual({
      source: 'singleview',
      status: 'IN_PROGRESS',
      progress: { itemsDeleted: expect.any(Number), customerIdsDone: expect.any(Number), customerIdsTotal: 2, completedAt: null },
    });
    expect(first.body.data!.forgetCustomer.completedAt).toBeNull();
    // The request's cost is bounded: at most twelve pages (Queries) of deletes, whatever the history; the 2,000 events alone take eleven.
    expect(recorder.calls.filter((call) => call.startsWith('QueryCommand')).length).toBeLessThanOrEqual(12);
    // Nothing of the customer reads any more, already.
    const reads = await graphql(gw.url, 'query($a: ID!, $b: ID!) { a: customer(id: $a) { id } b: customer(id: $b) { id } }', { variables: { a: ids[0], b: ids[1] } });
    expect(reads.body.data).toEqual({ a: null, b: null });

    // The worker, started as a gateway starts it, finds the open job, finishes it, and records the end on the erasure itself.
    gw.gateway.services.identity.services.jobs!.worker.start();
    const store = dynamoSingleView(gw);
    await expect.poll(async () => (await store.getJob(`erase#${known.customer.id}`))?.status, { timeout: 30_000, interval: 200 }).toBe('DONE');
    for (const id of ids) {
      expect(await store.getEvents(id, { first: 1 })).toEqual({ events: [], hasNextPage: false });
      expect(await store.getConsentHistory(id, { first: 1 })).toEqual([]);
      expect(await store.getIdentityLog(id, 1)).toEqual([]);
    }
    const recorded = await store.getErasureJob(visitor.customerId);
    expect(recorded?.sources.singleview).toMatchObject({ status: 'ERASED', progress: { itemsDeleted: expect.any(Number), customerIdsDone: 2, customerIdsTotal: 2 } });
    expect(recorded?.sources.singleview?.progress?.itemsDeleted).toBeGreaterThanOrEqual(2002);
    expect(recorded?.completedAt).not.toBeNull();
    const again = await graphql<Receipt>(gw.url, FORGET, { variables: { id: known.customer.id }, apiKey: ADMIN_KEY });
    expect(again.body.data!.forgetCustomer.sources.find((source) => source.source === 'singleview')).toMatchObject({ status: 'ERASED', progress: { customerIdsDone: 2 } });
    expect(again.body.data!.forgetCustomer.completedAt).toBe(recorded?.completedAt);
  });
});

const UNMERGE = /* GraphQL */ `
  mutation Unmerge($customerId: ID!, $identities: [IdentityInput!]!) {
    unmerge(customerId: $customerId, identities: $identities, reason: "shared device") { customer { id } splitCustomer { id } }
  }
`;

describe('an unmerge of a customer with a long timeline', () => {
  it('reads a page or two of it in the request, and the worker moves the events that arrived through the leaving identifier', async () => {
    const alice = await identifyVerified(gw.url, [{ type: 'USER_ID', value: 'ptr-split-alice' }, { type: 'EMAIL', value: 'ptr.split@example.com' }]);
    await history(alice.customer.id, 2000, Date.UTC(2025, 0, 1), 'USER_ID#ptr-split-alice');
    const bob = await track(gw.url, { identity: { type: 'DEVICE_ID', value: 'ptr-split-bob' }, type: 'Page Viewed', occurredAt: '2024-06-01T00:00:00.000Z' });
    await identifyVerified(gw.url, [{ type: 'DEVICE_ID', value: 'ptr-split-bob' }, { type: 'EMAIL', value: 'ptr.split@example.com' }]);
    // After the merge Bob's device sends ten events: they land on the survivor's timeline, after Alice's 2,000.
    const late: Array<{ eventId: string; customerId: string }> = [];
    for (let i = 0; i < 10; i++) late.push(await track(gw.url, { identity: { type: 'DEVICE_ID', value: 'ptr-split-bob' }, type: 'Page Viewed', occurredAt: `2026-06-01T00:00:0${i}.000Z` }));
    expect(new Set(late.map((event) => event.customerId))).toEqual(new Set([alice.customer.id]));

    // The worker another test started stays out of the count: it waits until the request has answered.
    await gw.gateway.services.identity.services.jobs!.worker.stop();
    const recorder = recordCalls();
    const response = await graphql<{ unmerge: { customer: { id: string }; splitCustomer: { id: string } } }>(gw.url, UNMERGE, {
      variables: { customerId: alice.customer.id, identities: [{ type: 'DEVICE_ID', value: 'ptr-split-bob' }] },
      apiKey: ADMIN_KEY,
    });
    recorder.stop();
    expect(response.body.errors).toBeUndefined();
    const bobId = response.body.data!.unmerge.splitCustomer.id;
    // Two pages of the survivor's timeline at most, whatever its length: not the eleven its 2,010 events take.
    expect(recorder.calls.filter((call) => call.startsWith('QueryCommand') && call.endsWith(' events')).length).toBeLessThanOrEqual(2);

    // The audit detail says how many moved in the request (none: the late ten sit past two pages) and that the worker has more.
    const audit = await graphql<{ auditTrail: { edges: Array<{ node: { operation: string; detail: Record<string, unknown> } }> } }>(
      gw.url,
      'query($id: ID!) { auditTrail(customerId: $id, first: 20) { edges { node { operation detail } } } }',
      { variables: { id: alice.customer.id }, apiKey: ADMIN_KEY },
    );
    const detail = audit.body.data!.auditTrail.edges.find((edge) => edge.node.operation === 'unmerge')!.node.detail;
    expect(detail).toMatchObject({ side: 'kept', absorbedCustomers: 1, events: 0, eventsPending: 'true' });
    // Bob's id left with him by pointer: his first event reads on the new customer at once; the late ten once the worker is done.
    const ids = async (id: string) => (await wholeTimeline(id, 100, 'OLDEST_FIRST')).ids;
    expect(await ids(bobId)).toContain((await dynamoSingleView(gw).getEvents(bob.customerId, { first: 1 })).events[0]!.id);
    gw.gateway.services.identity.services.jobs!.worker.start();
    await expect.poll(async () => (await dynamoSingleView(gw).getJob(`split#${bobId}`))?.status, { timeout: 30_000, interval: 200 }).toBe('DONE');
    expect((await ids(bobId)).sort()).toEqual([bob.eventId, ...late.map((event) => event.eventId)].sort());
    const aliceIds = await ids(alice.customer.id);
    expect(aliceIds).toHaveLength(2000);
    expect(aliceIds.filter((id) => late.some((event) => event.eventId === id))).toEqual([]);

  });
});

describe('jobs left by a gateway that stopped', () => {
  it('are resumed by the next gateway at start, from the progress recorded', async () => {
    const dynamo = await startEmbeddedDynamo(undefined);
    const env = { C360_DYNAMODB_ENDPOINT: dynamo.endpoint, C360_DYNAMODB_TABLE_PREFIX: 'resume_', C360_DEMO_CUSTOMERS: '10' };
    try {
      const first = await startTestGateway({ ...env, C360_JOBS_WORKER: 'false' });
      const store = dynamoSingleView(first);
      const events = Array.from({ length: 450 }, (_, i) => ({ id: `evt_left_${i}`, customerId: 'cus_left', type: 'Page Viewed', occurredAt: new Date(Date.UTC(2026, 1, 1) + i * 1000).toISOString(), receivedAt: '2026-02-02T00:00:00.000Z', source: 'test' }));
      await store.putEvents(events);
      // A job whose worker had deleted a page and recorded it when its gateway stopped (its lease long run out).
      const left = { ...newJob('erase#cus_left', { kind: 'erase-history', customerIds: ['cus_left'], found: 1 }, '2026-02-02T00:00:00.000Z'), owner: 'worker-gone', leaseUntil: 1, progress: { step: 0, after: null, items: 200, pages: 1 } };
      expect(await store.createJob(left)).toBe('written');
      await first.close();

      const second = await startTestGateway(env);
      try {
        await expect.poll(async () => (await dynamoSingleView(second).getJob('erase#cus_left'))?.status, { timeout: 20_000, interval: 200 }).toBe('DONE');
        expect((await dynamoSingleView(second).getJob('erase#cus_left'))!.progress.items).toBe(200 + 450);
        expect(await dynamoSingleView(second).getEvents('cus_left', { first: 1 })).toEqual({ events: [], hasNextPage: false });
      } finally {
        await second.close();
      }
    } finally {
      await dynamo.close();
    }
  });
});
