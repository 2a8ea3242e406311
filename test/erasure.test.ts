import { createHmac } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { suggestionId } from '../src/identity/suggestions.js';
import { crmOf, demoCustomer, loyaltyOf, testDemoData } from './support/demo.js';
import { dynamoSingleView, graphql, startTestGateway, TestClock, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { LoyaltyTestServer } from './support/loyaltyServer.js';
import { TEST_SUPPRESSION_KEY } from './support/process.js';
import { ADMIN_KEY, IDENTIFY, INGEST_KEY, TRACK, identify, track } from './support/writes.js';

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

const RECEIPT = 'customerId requestedAt completedAt sources { source status detail }';
const FORGET = `mutation Forget($id: ID!) { forgetCustomer(id: $id) { ${RECEIPT} } }`;
const FORGET_IDENTITY = `mutation ForgetByIdentity($identity: IdentityInput!) { forgetCustomer(identity: $identity) { ${RECEIPT} } }`;
const LIFT = 'mutation Lift($identity: IdentityInput!) { liftSuppression(identity: $identity) }';

async function forget(id: string) {
  const response = await graphql(gw.url, FORGET, { variables: { id }, apiKey: ADMIN_KEY });
  return withoutTraceId(response.body);
}

async function forgetByIdentity(type: string, value: string) {
  const response = await graphql(gw.url, FORGET_IDENTITY, { variables: { identity: { type, value } }, apiKey: ADMIN_KEY });
  return withoutTraceId(response.body);
}

async function lift(type: string, value: string, apiKey = ADMIN_KEY) {
  const response = await graphql(gw.url, LIFT, { variables: { identity: { type, value } }, apiKey });
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

const ALL_ERASED = { singleview: ['ERASED', null], crm: ['ERASED', null], loyalty: ['ERASED', null], resolution: ['ERASED', null] } as Record<string, [string, string | null]>;

/** What SUPPRESSED looks like at a write's field: the field named, the value never echoed. */
const suppressedAt = (root: 'identify' | 'track', field: string, column: number) => ({
  data: null,
  errors: [
    {
      message: `${field} identifies a person who was erased and is on the suppression list; nothing was stored. An operator can lift the suppression (liftSuppression).`,
      locations: [{ line: 1, column }],
      path: [root],
      extensions: { code: 'SUPPRESSED', field },
    },
  ],
});

const TRACK_ONE = 'mutation($input: TrackInput!) { track(input: $input) { customerId } }';
const IDENTIFY_ONE = 'mutation($input: IdentifyInput!) { identify(input: $input) { customer { id } } }';

describe('forgetCustomer', () => {
  it('erases a customer from every source by its own ids there, reports a failed source, and finishes on a repeated call', async () => {
    const { id } = DEMO_CUSTOMERS.consent;
    const { customer } = demoCustomer(id);
    const { memberId } = loyaltyOf(id)!;
    const { crmId } = crmOf(id)!;
    expect(loyalty.has(memberId)).toBe(true);

    loyalty.mode = { kind: 'status', status: 503 };
    const first = await forget(id);
    expect(first).toEqual(
      receipt(id, '2026-11-18T09:00:00.000Z', null, {
        // The single view holds the CRM_ID and LOYALTY_ID the others are erased by: it waits for them.
        singleview: ['FAILED', 'waits for loyalty to be erased first'],
        crm: ['ERASED', null],
        loyalty: ['FAILED', 'loyalty source is unavailable: erase HTTP 503'],
        resolution: ['ERASED', null],
      }),
    );
    expect(loyalty.has(memberId)).toBe(true);

    loyalty.mode = { kind: 'ok' };
    clock.set('2026-11-18T09:05:00.000Z');
    const done = receipt(id, '2026-11-18T09:00:00.000Z', '2026-11-18T09:05:00.000Z', ALL_ERASED);
    expect(await forget(id)).toEqual(done);
    expect(loyalty.has(memberId)).toBe(false);
    // The loyalty service was only ever asked by its own member id, each time within the request's trace.
    expect(new Set(loyalty.deletes)).toEqual(new Set([memberId]));
    const deletes = loyalty.headers.filter((request) => request.path.startsWith('/members/'));
    expect(deletes.map((request) => request.headers.traceparent)).toEqual(deletes.map(() => expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)));
    clock.set('2026-11-18T09:10:00.000Z');
    expect(await forget(id)).toEqual(done);

    // Nothing of the customer is left to read or to resolve.
    const lookups = customer.identities.map((identity, i) => `i${i}: customerByIdentity(type: ${identity.type}, value: ${JSON.stringify(identity.value)}) { id }`);
    const reads = await graphql(gw.url, `query { customer(id: "${id}") { id } ${lookups.join(' ')} }`);
    expect(withoutTraceId(reads.body)).toEqual({
      data: { customer: null, ...Object.fromEntries(customer.identities.map((_, i) => [`i${i}`, null])) },
    });
    const { singleView, crm } = gw.gateway.services.sources;
    expect(await crm.getMany([crmId])).toEqual([null]);
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

  it('keeps the erased identifiers only as keyed hashes, and refuses them in identify and track: nothing stored, nobody created', async () => {
    const { id, email } = DEMO_CUSTOMERS.consent;
    const { customer } = demoCustomer(id);
    // Erased by the test above; its suppression entries are all that is left, and they hold no value.
    const { Items: entries = [] } = await dynamoSingleView(gw).document.send(new ScanCommand({ TableName: dynamoSingleView(gw).tables.suppressions }));
    const hmac = (type: string, value: string) => createHmac('sha256', TEST_SUPPRESSION_KEY).update(`${type}#${value}`).digest('hex');
    const ofCustomer = entries.filter((entry) => entry.customerId === id);
    expect(ofCustomer.map((entry) => entry.hash).sort()).toEqual(customer.identities.map((i) => hmac(i.type, i.value)).sort());
    expect(ofCustomer.every((entry) => Object.keys(entry).sort().join() === 'customerId,hash,identityType,suppressedAt')).toBe(true);
    const stored = JSON.stringify(entries);
    for (const identity of customer.identities) expect(stored).not.toContain(identity.value);

    const before = await dynamoSingleView(gw).document.send(new ScanCommand({ TableName: dynamoSingleView(gw).tables.customers, Select: 'COUNT' }));
    // Written differently: identifiers are normalized before they are checked.
    const tracked = await graphql(gw.url, TRACK_ONE, { variables: { input: { identity: { type: 'EMAIL', value: ` ${email.toUpperCase()} ` }, type: 'Page Viewed' } }, apiKey: INGEST_KEY });
    expect(withoutTraceId(tracked.body)).toEqual(suppressedAt('track', 'input.identity.value', 33));
    const linked = await graphql(gw.url, IDENTIFY_ONE, {
      variables: { input: { identities: [{ type: 'USER_ID', value: 'brand-new-user' }, { type: 'EMAIL', value: email }] } },
      apiKey: INGEST_KEY,
    });
    expect(withoutTraceId(linked.body)).toEqual(suppressedAt('identify', 'input.identities[1].value', 36));
    const after = await dynamoSingleView(gw).document.send(new ScanCommand({ TableName: dynamoSingleView(gw).tables.customers, Select: 'COUNT' }));
    expect(after.Count).toBe(before.Count);
    const lookup = await graphql(gw.url, `query { a: customerByIdentity(type: USER_ID, value: "brand-new-user") { id } b: customerByIdentity(type: EMAIL, value: "${email}") { id } }`);
    expect(withoutTraceId(lookup.body)).toEqual({ data: { a: null, b: null } });
  });

  it('erases by an identifier the request came with, and suppresses one nobody holds all the same', async () => {
    clock.set('2026-11-18T09:30:00.000Z');
    const known = await identify(gw.url, [{ type: 'EMAIL', value: 'by.email@example.com' }, { type: 'USER_ID', value: 'by-email-user' }]);
    const expected = receipt(known.customer.id, '2026-11-18T09:30:00.000Z', '2026-11-18T09:30:00.000Z', {
      ...ALL_ERASED,
      crm: ['NOT_FOUND', null],
      loyalty: ['NOT_FOUND', null],
    });
    expect(await forgetByIdentity('EMAIL', 'By.Email@Example.com')).toEqual(expected);
    // Asked again by any of its identifiers, the erasure answers the same receipt.
    expect(await forgetByIdentity('USER_ID', 'by-email-user')).toEqual(expected);
    expect((await graphql(gw.url, TRACK_ONE, { variables: { input: { identity: { type: 'USER_ID', value: 'by-email-user' }, type: 'Login' } }, apiKey: INGEST_KEY })).body.errors?.[0]?.extensions?.code).toBe('SUPPRESSED');

    const nobody = await forgetByIdentity('PHONE', '+1 (415) 555-0199');
    const hash = createHmac('sha256', TEST_SUPPRESSION_KEY).update('PHONE#+14155550199').digest('hex');
    const untouched = { singleview: ['NOT_FOUND', null], crm: ['NOT_FOUND', null], loyalty: ['NOT_FOUND', null], resolution: ['NOT_FOUND', null] } as Record<string, [string, string | null]>;
    expect(nobody).toEqual(receipt(`erased_${hash.slice(0, 40)}`, '2026-11-18T09:30:00.000Z', '2026-11-18T09:30:00.000Z', untouched));
    const refused = await graphql(gw.url, TRACK_ONE, { variables: { input: { identity: { type: 'PHONE', value: '415-555-0199' }, type: 'Call' } }, apiKey: INGEST_KEY });
    expect(refused.body.errors?.[0]?.extensions).toEqual({ code: 'SUPPRESSED', field: 'input.identity.value' });
  });

  it('erases the survivor and every customer it absorbed when asked with an absorbed id; an operator lifts a suppression, audited', async () => {
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

    // The same anonymous id later is refused: the person asked to be forgotten...
    const anonymous = { identity: { type: 'ANONYMOUS_ID', value: 'erase-anon' }, type: 'Page Viewed' };
    expect((await graphql(gw.url, TRACK, { variables: { input: anonymous }, apiKey: INGEST_KEY })).body.errors?.[0]?.extensions?.code).toBe('SUPPRESSED');
    // ...until an operator with erasure:write lifts the suppression (a support key may not).
    expect(await lift('ANONYMOUS_ID', 'erase-anon', 'c360_demo_support')).toEqual({
      data: null,
      errors: [{ message: 'liftSuppression needs the scope erasure:write.', locations: [{ line: 1, column: 44 }], path: ['liftSuppression'], extensions: { code: 'FORBIDDEN', scope: 'erasure:write' } }],
    });
    clock.set('2026-11-18T10:30:00.000Z');
    expect(await lift('ANONYMOUS_ID', 'erase-anon')).toEqual({ data: { liftSuppression: true } });
    expect(await lift('ANONYMOUS_ID', 'erase-anon')).toEqual({ data: { liftSuppression: false } });
    const again = await track(gw.url, anonymous);
    expect([visitor.customerId, known.customer.id]).not.toContain(again.customerId);
    // The other identifiers stay suppressed.
    expect((await graphql(gw.url, IDENTIFY, { variables: { input: { identities: [{ type: 'EMAIL', value: 'erase.me@example.com' }] } }, apiKey: INGEST_KEY })).body.errors?.[0]?.extensions?.code).toBe('SUPPRESSED');

    const audit = await graphql<{ auditTrail: { edges: Array<{ node: Record<string, unknown> }> } }>(
      gw.url,
      'query($id: ID!) { auditTrail(customerId: $id, first: 50) { edges { node { principal operation customerIds fields { path } detail at } } } }',
      { variables: { id: known.customer.id }, apiKey: ADMIN_KEY },
    );
    const lifts = audit.body.data!.auditTrail.edges.map((edge) => edge.node).filter((node) => node.operation === 'liftSuppression');
    expect(lifts).toEqual([
      {
        principal: 'key:demo_admin',
        operation: 'liftSuppression',
        customerIds: [known.customer.id],
        fields: [],
        detail: { change: 'liftSuppression', identityType: 'ANONYMOUS_ID', suppressedAt: '2026-11-18T10:00:00.000Z' },
        at: '2026-11-18T10:30:00.000Z',
      },
    ]);
    expect(JSON.stringify(audit.body)).not.toContain('erase-anon');
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

  it('leaves a pending merge with an erased customer unmergeable: SUPPRESSED while the erasure is under way, gone once it is done, and closed by rejecting it', async () => {
    clock.set('2026-11-18T11:30:00.000Z');
    const erased = await identify(gw.url, [{ type: 'EMAIL', value: 'pending.erased@example.com' }, { type: 'LOYALTY_ID', value: 'M-PENDING-1' }]);
    const kept = await identify(gw.url, [{ type: 'EMAIL', value: 'pending.kept@example.com' }], { firstName: 'Kim' });
    // An unverified join of two known people is kept for a person to decide.
    const join = await identify(gw.url, [{ type: 'EMAIL', value: 'pending.erased@example.com' }, { type: 'EMAIL', value: 'pending.kept@example.com' }]);
    expect(join.rejectedLinks.map((link) => link.reason)).toEqual(['UNVERIFIED_MERGE']);
    const id = suggestionId([erased.customer.id, kept.customer.id]);
    const ACCEPT = 'mutation($id: ID!) { acceptMergeSuggestion(id: $id) { customer { id } merged } }';
    const accept = async () => withoutTraceId((await graphql(gw.url, ACCEPT, { variables: { id }, apiKey: ADMIN_KEY })).body);
    const refused = (message: string, code: string) => ({
      data: null,
      errors: [{ message, locations: [{ line: 1, column: 22 }], path: ['acceptMergeSuggestion'], extensions: { code, field: 'id' } }],
    });

    // The loyalty system is down: the erasure stops before the single view, whose customer still holds the suppressed identifiers.
    loyalty.mode = { kind: 'status', status: 503 };
    const completedAt = async () =>
      (await graphql<{ forgetCustomer: { completedAt: string | null } }>(gw.url, FORGET, { variables: { id: erased.customer.id }, apiKey: ADMIN_KEY })).body.data!.forgetCustomer.completedAt;
    expect(await completedAt()).toBeNull();
    expect(await accept()).toEqual(
      refused(
        'A customer of this merge suggestion is being erased: it holds identifiers on the suppression list; nothing was merged. Finish the erasure (repeat forgetCustomer), then reject the suggestion.',
        'SUPPRESSED',
      ),
    );
    const untouched = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { id identities { type } } }', { variables: { id: kept.customer.id }, purpose: 'support' });
    expect(withoutTraceId(untouched.body)).toEqual({
      data: { customer: { id: kept.customer.id, identities: [{ type: 'EMAIL' }] } },
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });

    // Erasure done: the suggestion lists only the customer that is left, accepting it is refused, rejecting closes it.
    loyalty.mode = { kind: 'ok' };
    expect(await completedAt()).toBe('2026-11-18T11:30:00.000Z');
    const listed = await graphql<{ mergeSuggestions: { edges: Array<{ node: { id: string; customerIds: string[]; customers: Array<{ id: string }> } }> } }>(
      gw.url,
      'query { mergeSuggestions(first: 50) { edges { node { id customerIds customers { id } } } } }',
      { apiKey: ADMIN_KEY },
    );
    expect(listed.body.data!.mergeSuggestions.edges.map((edge) => edge.node).find((node) => node.id === id)).toEqual({
      id,
      customerIds: [erased.customer.id, kept.customer.id].sort(),
      customers: [{ id: kept.customer.id }],
    });
    expect(await accept()).toEqual(refused('One of the two customers no longer exists (erased); reject the suggestion instead.', 'BAD_USER_INPUT'));
    const rejected = await graphql(gw.url, 'mutation($id: ID!) { rejectMergeSuggestion(id: $id, reason: "erased") { id status } }', { variables: { id }, apiKey: ADMIN_KEY });
    expect(withoutTraceId(rejected.body)).toEqual({ data: { rejectMergeSuggestion: { id, status: 'REJECTED' } } });
  });

  it.each([
    ['neither id nor identity', 'mutation { forgetCustomer { customerId } }', 'forgetCustomer takes either id or identity, exactly one of them.', 'id'],
    ['both id and identity', 'mutation { forgetCustomer(id: "cus_000001", identity: { type: EMAIL, value: "a@example.com" }) { customerId } }', 'forgetCustomer takes either id or identity, exactly one of them.', 'identity'],
    ['an id that is no customer id', 'mutation { forgetCustomer(id: "not an id") { customerId } }', 'id is not a customer id: expected 1–128 characters from A–Z, a–z, 0–9, _ . : -.', 'id'],
    ['an email that is none', 'mutation { forgetCustomer(identity: { type: EMAIL, value: "nope" }) { customerId } }', 'identity.value is not an email address for identity type EMAIL.', 'identity.value'],
    ['a placeholder', 'mutation { forgetCustomer(identity: { type: PHONE, value: "000-000" }) { customerId } }', 'identity.value is a blocked value for identity type PHONE (a placeholder such as 0, null or all zeros) and identifies nobody.', 'identity.value'],
    ['a placeholder to lift', 'mutation { liftSuppression(identity: { type: EMAIL, value: "test@test.com" }) }', 'identity.value is a blocked value for identity type EMAIL (a placeholder such as 0, null or all zeros) and identifies nobody.', 'identity.value'],
  ])('refuses %s, naming the field', async (_name, query, message, field) => {
    const response = await graphql(gw.url, query, { apiKey: ADMIN_KEY });
    const error = response.body.errors?.[0];
    expect({ data: response.body.data, message: error?.message, code: error?.extensions?.code, field: error?.extensions?.field }).toEqual({
      data: null,
      message,
      code: 'BAD_USER_INPUT',
      field,
    });
  });
});
