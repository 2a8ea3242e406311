import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestGateway, TestClock, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { ADMIN_KEY, identify, identifyVerified, setConsent, track } from './support/writes.js';
import type { Identity } from './support/writes.js';

const clock = new TestClock('2026-11-10T09:00:00.000Z');
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ C360_SINGLEVIEW_TIMEOUT_MS: '10000', C360_RESOLUTION_TIMEOUT_MS: '10000', C360_DEMO_CUSTOMERS: '10' }, { clock: clock.now });
});
afterAll(() => gw?.close());

/** Everything a side of a wrong merge must get back: identities, events, consents, consent history, segments, traits, profile. */
const SIDE = /* GraphQL */ `
  query Side($id: ID!) {
    customer(id: $id) {
      id
      createdAt
      profile { firstName lastName }
      identities { type value source firstSeenAt lastSeenAt }
      events(first: 100) { edges { node { id type occurredAt channel source properties } } }
      consents { purpose status channel updatedAt source }
      consentHistory { purpose status channel source at note }
      segments { segment { id } since }
      traits { orderCount lifetimeValue firstSeenAt lastSeenAt }
    }
  }
`;

const UNMERGE = /* GraphQL */ `
  mutation Unmerge($customerId: ID!, $identities: [IdentityInput!]!, $reason: String!) {
    unmerge(customerId: $customerId, identities: $identities, reason: $reason) {
      customer { id }
      splitCustomer { id }
      duplicate
    }
  }
`;

type Side = { customer: Record<string, unknown> & { id: string } };
type UnmergeAnswer = { unmerge: { customer: { id: string }; splitCustomer: { id: string }; duplicate: boolean } };

async function side(id: string) {
  const response = await graphql<Side>(gw.url, SIDE, { variables: { id }, purpose: 'support' });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.customer;
}

async function unmerge(customerId: string, identities: Identity[], reason = 'two people shared a family email') {
  const response = await graphql<UnmergeAnswer>(gw.url, UNMERGE, { variables: { customerId, identities, reason }, apiKey: ADMIN_KEY });
  if (response.body.errors) throw new Error(`unmerge failed: ${JSON.stringify(response.body.errors)}`);
  return response.body.data!.unmerge;
}

let people = 0;

/** Two people, each with identifiers, events and consent decisions; the second's decisions are newer, so they win the merge. */
async function twoPeople(tag: string) {
  people += 1;
  const alice = { userId: { type: 'USER_ID', value: `${tag}-alice` }, email: { type: 'EMAIL', value: `${tag}.family@example.com` } };
  const bob = { device: { type: 'DEVICE_ID', value: `${tag}-bob-device` }, phone: { type: 'PHONE', value: `+1 415 555 01${String(50 + people)}` } };
  clock.set('2026-11-10T09:00:00.000Z');
  const a = await identify(gw.url, [alice.userId, alice.email], { firstName: 'Alice' });
  clock.set('2026-11-10T09:01:00.000Z');
  await track(gw.url, { identity: alice.userId, type: 'Product Viewed', channel: 'web', properties: { sku: 'a-1' } });
  clock.set('2026-11-10T09:02:00.000Z');
  await track(gw.url, { identity: alice.userId, type: 'Order Completed', channel: 'web', properties: { total: 30 } });
  clock.set('2026-11-10T09:03:00.000Z');
  await setConsent(gw.url, { customerId: a.customer.id, purpose: 'MARKETING', status: 'GRANTED', source: 'preference-centre' });
  clock.set('2026-11-10T09:05:00.000Z');
  const b = await track(gw.url, { identity: bob.device, type: 'Page Viewed', channel: 'ios' });
  clock.set('2026-11-10T09:06:00.000Z');
  await track(gw.url, { identity: bob.device, type: 'Product Added', channel: 'ios', properties: { sku: 'b-7' } });
  await identify(gw.url, [bob.device, bob.phone], { firstName: 'Bob', lastName: 'Bobson' });
  clock.set('2026-11-10T09:07:00.000Z');
  await setConsent(gw.url, { customerId: b.customerId, purpose: 'MARKETING', status: 'DENIED', source: 'cookie-banner', channel: 'web' });
  await setConsent(gw.url, { customerId: b.customerId, purpose: 'PERSONALIZATION', status: 'GRANTED', source: 'cookie-banner' });
  return { a: a.customer.id, b: b.customerId, alice, bob };
}

describe('a wrong merge through a shared email, undone by unmerge', () => {
  it('gives each side back exactly the events, consents and segments it had before the merge', async () => {
    const people = await twoPeople('acc');
    clock.set('2026-11-10T09:10:00.000Z');
    const [aliceBefore, bobBefore] = [await side(people.a), await side(people.b)];

    clock.set('2026-11-10T09:20:00.000Z');
    const merge = await identifyVerified(gw.url, [people.bob.device, people.alice.email]);
    expect(merge).toEqual({ customer: { id: people.a }, merged: [people.b], rejectedLinks: [] });
    const merged = await side(people.b);
    expect(merged.id).toBe(people.a);
    expect((merged.events as { edges: unknown[] }).edges).toHaveLength(4);

    clock.set('2026-11-10T09:30:00.000Z');
    const split = await unmerge(people.a, [people.bob.device, people.bob.phone]);
    expect(split).toEqual({ customer: { id: people.a }, splitCustomer: { id: expect.stringMatching(/^cus_/) }, duplicate: false });
    const bobId = split.splitCustomer.id;
    expect(bobId).not.toBe(people.a);

    expect(await side(people.a)).toEqual(aliceBefore);
    expect(await side(bobId)).toEqual({ ...bobBefore, id: bobId });
    // The id Bob had before the merge, and his identifiers, now read as the new customer.
    const lookups = await graphql(
      gw.url,
      `query($old: ID!, $device: String!) { old: customer(id: $old) { id } device: customerByIdentity(type: DEVICE_ID, value: $device) { id } email: customerByIdentity(type: EMAIL, value: "acc.family@example.com") { id } }`,
      { variables: { old: people.b, device: people.bob.device.value } },
    );
    expect(withoutTraceId(lookups.body)).toEqual({ data: { old: { id: bobId }, device: { id: bobId }, email: { id: people.a } } });
  });

  it('is idempotent: a repeat answers the same new customer and changes nothing; both are audited without values', async () => {
    const people = await twoPeople('idem');
    clock.set('2026-11-10T09:20:00.000Z');
    await identifyVerified(gw.url, [people.bob.device, people.alice.email]);
    clock.set('2026-11-10T09:30:00.000Z');
    const first = await unmerge(people.a, [people.bob.device, people.bob.phone]);
    const [alice, bob] = [await side(people.a), await side(first.splitCustomer.id)];
    clock.set('2026-11-10T09:31:00.000Z');
    const again = await unmerge(people.a, [people.bob.phone, people.bob.device]);
    expect(again).toEqual({ customer: { id: people.a }, splitCustomer: { id: first.splitCustomer.id }, duplicate: true });
    expect([await side(people.a), await side(first.splitCustomer.id)]).toEqual([alice, bob]);

    type Trail = { auditTrail: { edges: Array<{ node: { operation: string } }> } };
    const audit = await graphql<Trail>(gw.url, `query($id: ID!) { auditTrail(customerId: $id, first: 50) { edges { node { operation customerIds fields { path } detail } } } }`, {
      variables: { id: people.a },
      apiKey: ADMIN_KEY,
    });
    // The reads above (query Side) are on the trail too, as releases, and so are the identifies and consents that built the
    // two people; here only the unmerges matter. Each names only the customer whose trail it is on.
    const trail = audit.body.data!.auditTrail;
    const unmerges = { operation: 'unmerge', customerIds: [people.a], fields: [] };
    expect({ errors: audit.body.errors, edges: trail.edges.filter((edge) => edge.node.operation === 'unmerge') }).toEqual({
      errors: undefined,
      edges: [
        { node: { ...unmerges, detail: { change: 'unmerge', side: 'kept', identities: 2, repeated: 'true', 'identities.PHONE': 1, 'identities.DEVICE_ID': 1 } } },
        {
          node: {
            ...unmerges,
            detail: {
              change: 'unmerge',
              side: 'kept',
              identities: 2,
              repeated: 'false',
              'identities.DEVICE_ID': 1,
              'identities.PHONE': 1,
              // Merges are by pointer: Bob's two events and two decisions stayed under his id, which left with him,
              // so nothing was moved or copied; nothing arrived on Alice's timeline through his identifiers.
              events: 0,
              consentChanges: 0,
              absorbedCustomers: 1,
            },
          },
        },
      ],
    });
    const text = JSON.stringify(audit.body) + gw.logs.join('\n');
    for (const secret of [people.bob.device.value, people.bob.phone.value.replace(/\D/g, ''), 'family email']) expect(text).not.toContain(secret);
  });

  it('sends a track that arrives during the unmerge to the side that holds its identifier, counting every event once', async () => {
    const people = await twoPeople('race');
    clock.set('2026-11-10T09:20:00.000Z');
    await identifyVerified(gw.url, [people.bob.device, people.alice.email]);
    clock.set('2026-11-10T09:30:00.000Z');
    const order = (identity: Identity) => track(gw.url, { identity, type: 'Order Completed', properties: { total: 2 } });
    const [split, bobOrders, aliceOrders] = await Promise.all([
      unmerge(people.a, [people.bob.device, people.bob.phone]),
      Promise.all(Array.from({ length: 8 }, () => order(people.bob.device))),
      Promise.all(Array.from({ length: 8 }, () => order(people.alice.userId))),
    ]);
    const [alice, bob] = [await side(people.a), await side(split.splitCustomer.id)];
    const ids = (s: Record<string, unknown>) => (s.events as { edges: Array<{ node: { id: string } }> }).edges.map((e) => e.node.id).sort();
    expect(ids(bob)).toEqual(expect.arrayContaining(bobOrders.map((o) => o.eventId)));
    expect(ids(bob)).toHaveLength(2 + 8);
    expect(ids(alice)).toEqual(expect.arrayContaining(aliceOrders.map((o) => o.eventId)));
    expect(ids(alice)).toHaveLength(2 + 8);
    expect([alice.traits, bob.traits]).toEqual([
      expect.objectContaining({ orderCount: 9, lifetimeValue: 46 }),
      expect.objectContaining({ orderCount: 8, lifetimeValue: 16 }),
    ]);
  });
});

describe('what arrives after the merge', () => {
  it('goes with the side whose identifier or absorbed id it came through', async () => {
    const people = await twoPeople('after');
    clock.set('2026-11-10T09:20:00.000Z');
    await identifyVerified(gw.url, [people.bob.device, people.alice.email]);
    clock.set('2026-11-10T09:21:00.000Z');
    const bobEvent = await track(gw.url, { identity: people.bob.device, type: 'Email Opened' });
    const aliceEvent = await track(gw.url, { identity: people.alice.email, type: 'Email Opened' });
    clock.set('2026-11-10T09:22:00.000Z');
    await setConsent(gw.url, { customerId: people.b, purpose: 'ANALYTICS', status: 'GRANTED', source: 'app' });
    clock.set('2026-11-10T09:23:00.000Z');
    await setConsent(gw.url, { customerId: people.a, purpose: 'FRAUD', status: 'DENIED', source: 'support' });
    clock.set('2026-11-10T09:30:00.000Z');
    const split = await unmerge(people.a, [people.bob.device, people.bob.phone]);
    const [alice, bob] = [await side(people.a), await side(split.splitCustomer.id)];
    const summary = (s: Record<string, unknown>) => ({
      events: (s.events as { edges: Array<{ node: { id: string } }> }).edges.map((e) => e.node.id),
      consents: (s.consents as Array<{ purpose: string; status: string }>).map((c) => `${c.purpose}:${c.status}`),
      emailEngaged: (s.segments as Array<{ segment: { id: string }; since: string }>).find((m) => m.segment.id === 'email_engaged')?.since ?? null,
    });
    expect(summary(alice)).toEqual({ events: [expect.any(String), expect.any(String), aliceEvent.eventId], consents: ['MARKETING:GRANTED', 'FRAUD:DENIED'], emailEngaged: '2026-11-10T09:21:00.000Z' });
    expect(summary(bob)).toEqual({
      events: [expect.any(String), expect.any(String), bobEvent.eventId],
      consents: ['MARKETING:DENIED', 'PERSONALIZATION:GRANTED', 'ANALYTICS:GRANTED'],
      emailEngaged: '2026-11-10T09:21:00.000Z',
    });
  });
});

describe('an unmerge whose writer stopped after marking the customer', () => {
  it('is rolled forward by the next writer that meets it once it is stale', async () => {
    const people = await twoPeople('crash');
    const bobBefore = await side(people.b);
    clock.set('2026-11-10T09:20:00.000Z');
    await identifyVerified(gw.url, [people.bob.device, people.alice.email]);
    const { singleView } = gw.gateway.services.sources;
    const [merged] = await singleView.getCustomers([people.a], { consistent: true });
    if (!merged || merged instanceof Error) throw new Error('the merged customer is missing');
    const survivor = merged;
    const keys = survivor.identities.filter((i) => i.type === 'DEVICE_ID' || i.type === 'PHONE').map((i) => `${i.type}#${i.value}`);
    const marker = { from: people.a, into: 'cus_split_after_crash', keys, origins: [people.b], startedAt: clock.iso(), note: 'x', principal: 'key:demo_admin', traceId: null };
    expect(await singleView.replaceCustomer({ ...survivor, split: marker, version: survivor.version! + 1 }, survivor.version!)).toBe('written');

    clock.advance(1);
    const late = await track(gw.url, { identity: people.bob.device, type: 'Page Viewed' });
    expect(late.customerId).toBe('cus_split_after_crash');
    const bob = await side('cus_split_after_crash');
    const events = (s: Record<string, unknown>) => (s.events as { edges: Array<{ node: { id: string } }> }).edges.map((e) => e.node.id);
    expect(events(bob)).toEqual([...events(bobBefore), late.eventId]);
    expect(await unmerge(people.a, [people.bob.device, people.bob.phone])).toEqual({ customer: { id: people.a }, splitCustomer: { id: 'cus_split_after_crash' }, duplicate: true });
  });
});

describe('unmerge refuses what it cannot do', () => {
  const rows: Array<[string, (p: Awaited<ReturnType<typeof twoPeople>>) => Record<string, unknown>, string, string]> = [
    ['an unknown customer', () => ({ customerId: 'cus_nobody', identities: [{ type: 'EMAIL', value: 'x@example.com' }] }), 'customerId', 'matches no customer'],
    ['a malformed customer id', () => ({ customerId: 'bad id!', identities: [{ type: 'EMAIL', value: 'x@example.com' }] }), 'customerId', 'is not a customer id'],
    ['no identifiers', (p) => ({ customerId: p.a, identities: [] }), 'identities', 'must hold 1 to 100'],
    ['an identifier the customer does not hold', (p) => ({ customerId: p.a, identities: [p.alice.email, { type: 'EMAIL', value: 'secret.other@example.com' }] }), 'identities[1]', 'is not held by the customer'],
    ['every identifier of the customer', (p) => ({ customerId: p.a, identities: [p.alice.userId, p.alice.email] }), 'identities', 'must leave the customer at least one'],
    ['an identifier that is not one', (p) => ({ customerId: p.a, identities: [{ type: 'EMAIL', value: 'secret-not-an-email' }] }), 'identities[0].value', 'is not an email address'],
    ['an empty reason', (p) => ({ customerId: p.a, identities: [p.alice.email], reason: ' ' }), 'reason', '1–500 characters'],
  ];
  let pair: Awaited<ReturnType<typeof twoPeople>>;
  beforeAll(async () => {
    pair = await twoPeople('bad');
  });

  it.each(rows)('%s', async (_name, variables, field, fragment) => {
    const response = await graphql(gw.url, UNMERGE, { variables: { reason: 'wrong merge', ...variables(pair) }, apiKey: ADMIN_KEY });
    expect(withoutTraceId(response.body)).toEqual({
      data: null,
      errors: [{ message: expect.stringContaining(fragment), locations: expect.any(Array), path: ['unmerge'], extensions: { code: 'BAD_USER_INPUT', field } }],
    });
    expect(response.body.errors![0]!.message).not.toContain('secret');
  });
});
