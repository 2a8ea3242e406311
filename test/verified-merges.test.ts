import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { suggestionId } from '../src/identity/suggestions.js';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { TEST_JWT_SECRET, signToken } from './support/tokens.js';
import { ADMIN_KEY, IDENTIFY, INGEST_KEY, identify, identifyVerified, track } from './support/writes.js';

/**
 * Self-service bound to a verified login, and no takeover through merges
 * (docs/identity-resolution.md, "Verified identifiers"; docs/security.md,
 * "Tokens"). The probe: a customer signed in on one device, and an ingest
 * key linking that customer's identifiers to an e-mail typed into a form,
 * another person's. Before, `me` then answered that person's profile,
 * identifiers, CRM and loyalty ids.
 */
/** A documented demo customer: a login of its own, CRM and loyalty records. */
const DEMO_VICTIM = DEMO_CUSTOMERS.noConsent;
/** Another person known by contact identifiers only, created in beforeAll: no login whose per-type limit would stop a merge. */
const VICTIM = { id: '', email: 'jordan.victim@example.com', phone: '+14155550123' };
const ME = 'query { me { id profile { firstName email } identities { type value verified } crm { crmId } loyalty { memberId } } }';
const bearer = (token: string) => ({ apiKey: null, headers: { authorization: `Bearer ${token}` } });
const SUGGESTIONS = /* GraphQL */ `
  query($status: SuggestionStatus) {
    mergeSuggestions(status: $status, first: 50) {
      edges { node { id probability status origin customerIds evidence { attribute level weight } decidedBy customers { id } } }
      pageInfo { hasNextPage }
    }
  }
`;
const ACCEPT = 'mutation($id: ID!) { acceptMergeSuggestion(id: $id) { suggestion { id status decidedBy } customer { id } merged } }';
const REJECT = 'mutation($id: ID!, $reason: String!) { rejectMergeSuggestion(id: $id, reason: $reason) { id status } }';

interface Suggestion {
  id: string;
  status: string;
  customerIds: string[];
}

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ C360_JWT_SECRET: TEST_JWT_SECRET, C360_SINGLEVIEW_TIMEOUT_MS: '5000' });
  VICTIM.id = (await identify(gw.url, [{ type: 'EMAIL', value: VICTIM.email }, { type: 'PHONE', value: VICTIM.phone }], { firstName: 'Jordan' })).customer.id;
});
afterAll(() => gw?.close());

async function me(login: string) {
  const response = await graphql<{ me: { id: string; profile: { firstName: string | null; email: string | null } | null; identities: Array<{ type: string; value: string; verified: boolean }> } | null }>(
    gw.url,
    ME,
    bearer(await signToken({ sub: login, role: 'customer' })),
  );
  return response.body;
}

/** An operator's list, read for support: a suggestion's evidence is personal data about both customers (docs/privacy.md). */
async function openSuggestions(): Promise<Suggestion[]> {
  const response = await graphql<{ mergeSuggestions: { edges: Array<{ node: Suggestion }> } }>(gw.url, SUGGESTIONS, {
    apiKey: ADMIN_KEY,
    purpose: 'support',
    variables: { status: 'OPEN' },
  });
  return response.body.data!.mergeSuggestions.edges.map((edge) => edge.node);
}

type TrailRecord = { operation: string; principal: string; customerIds: string[]; detail: Record<string, unknown> | null };

/** A customer's audit trail, newest first (the admin key holds audit:read). */
async function trail(customerId: string): Promise<TrailRecord[]> {
  const response = await graphql<{ auditTrail: { edges: Array<{ node: TrailRecord }> } }>(
    gw.url,
    'query($id: ID!) { auditTrail(customerId: $id, first: 100) { edges { node { operation principal customerIds detail } } } }',
    { apiKey: ADMIN_KEY, variables: { id: customerId } },
  );
  return response.body.data!.auditTrail.edges.map((edge) => edge.node);
}

/** The records of one decision on the customer's trail, without the operation they are selected by. */
async function decisionRecords(customerId: string, operation: string) {
  return (await trail(customerId)).filter((record) => record.operation === operation).map(({ operation: _operation, ...record }) => record);
}

/** A signed-in customer: a login and the device it signed in on, as a sign-in flow identifies them. */
async function signedIn(login: string, device: string): Promise<string> {
  await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: device }, type: 'Page Viewed' });
  return (await identify(gw.url, [{ type: 'USER_ID', value: login }, { type: 'ANONYMOUS_ID', value: device }])).customer.id;
}

describe('a customer token reads the customer holding its verified login', () => {
  it('never another person’s record after an ingest key links the customer’s device to that person’s e-mail', async () => {
    const own = await signedIn('takeover-user-1', 'takeover-device-1');
    const linked = await identify(gw.url, [{ type: 'ANONYMOUS_ID', value: 'takeover-device-1' }, { type: 'EMAIL', value: VICTIM.email }]);
    // The strongest identifier of the call, the e-mail, is the victim's: the victim's customer is the survivor, the device's is not absorbed.
    expect(linked).toEqual({
      customer: { id: VICTIM.id },
      merged: [],
      rejectedLinks: [{ index: 0, type: 'ANONYMOUS_ID', reason: 'UNVERIFIED_MERGE', limitType: null, limit: null, heldBy: own }],
    });
    expect(await me('takeover-user-1')).toEqual({
      data: {
        me: {
          id: own,
          profile: { firstName: null, email: null },
          // The login recorded as verified the first time its token read me: the token's own verified claim.
          identities: [
            { type: 'ANONYMOUS_ID', value: 'takeover-device-1', verified: false },
            { type: 'USER_ID', value: 'takeover-user-1', verified: true },
          ],
          crm: null,
          loyalty: null,
        },
      },
      extensions: { traceId: expect.any(String), privacy: { purpose: 'SELF_SERVICE', fields: [] } },
    });
  });

  it('never another person’s record after an ingest key puts the login itself beside that person’s e-mail', async () => {
    const own = await signedIn('takeover-user-2', 'takeover-device-2');
    const linked = await identify(gw.url, [{ type: 'USER_ID', value: 'takeover-user-2' }, { type: 'EMAIL', value: VICTIM.email }]);
    expect(linked).toEqual({
      customer: { id: own },
      merged: [],
      rejectedLinks: [{ index: 1, type: 'EMAIL', reason: 'UNVERIFIED_MERGE', limitType: null, limit: null, heldBy: VICTIM.id }],
    });
    expect((await me('takeover-user-2')).data?.me?.id).toBe(own);
  });

  it('gives a login nobody holds yet a customer of its own rather than joining it to a known person unverified', async () => {
    const linked = await identify(gw.url, [{ type: 'USER_ID', value: 'takeover-user-3' }, { type: 'EMAIL', value: VICTIM.email }]);
    expect(linked.customer.id).not.toBe(VICTIM.id);
    expect(linked).toEqual({
      customer: { id: expect.any(String) },
      merged: [],
      rejectedLinks: [{ index: 1, type: 'EMAIL', reason: 'UNVERIFIED_MERGE', limitType: null, limit: null, heldBy: VICTIM.id }],
    });
    const read = await me('takeover-user-3');
    expect(read.data?.me).toEqual({
      id: linked.customer.id,
      profile: { firstName: null, email: null },
      identities: [{ type: 'USER_ID', value: 'takeover-user-3', verified: true }],
      crm: null,
      loyalty: null,
    });
  });

  it('never a documented customer’s CRM and loyalty ids either, whose login keeps the two apart by the per-type limit', async () => {
    const own = await signedIn('takeover-user-5', 'takeover-device-5');
    const linked = await identify(gw.url, [{ type: 'ANONYMOUS_ID', value: 'takeover-device-5' }, { type: 'EMAIL', value: DEMO_VICTIM.email }]);
    expect(linked.merged).toEqual([]);
    expect(linked.rejectedLinks.map(({ reason, heldBy }) => ({ reason, heldBy }))).toEqual([{ reason: 'MERGE_EXCEEDS_LIMIT', heldBy: own }]);
    const read = await me('takeover-user-5');
    expect(read.data?.me).toMatchObject({ id: own, profile: { firstName: null, email: null }, crm: null, loyalty: null });
  });

  it('records the refusal in the identity change log and keeps the merge pending for a person', async () => {
    const own = await signedIn('takeover-user-4', 'takeover-device-4');
    await identify(gw.url, [{ type: 'USER_ID', value: 'takeover-user-4' }, { type: 'EMAIL', value: VICTIM.email }]);
    const log = await graphql<{ customer: { identityGraph: { changes: Array<Record<string, unknown>> } } }>(
      gw.url,
      'query($id: ID!) { customer(id: $id) { identityGraph { changes { kind rule identityTypes otherCustomerId principal } } } }',
      { variables: { id: own }, purpose: 'support' },
    );
    expect(log.body.data!.customer.identityGraph.changes).toContainEqual({
      kind: 'REJECT',
      rule: 'unverified',
      identityTypes: ['EMAIL'],
      otherCustomerId: VICTIM.id,
      principal: 'key:demo_ingest',
    });
    const pending = (await openSuggestions()).find((s) => s.id === suggestionId([own, VICTIM.id]));
    expect(pending).toEqual({
      id: suggestionId([own, VICTIM.id]),
      probability: 1,
      status: 'OPEN',
      origin: 'UNVERIFIED_MERGE',
      customerIds: [own, VICTIM.id].sort(),
      evidence: [{ attribute: 'EMAIL', level: 'exact_unverified', weight: null }],
      decidedBy: null,
      customers: expect.arrayContaining([{ id: own }, { id: VICTIM.id }]),
    });
  });
});

describe('verified identifiers', () => {
  it('merge two known customers when the call verifies an identifier on each side', async () => {
    const a = await identify(gw.url, [{ type: 'USER_ID', value: 'verified-user-a' }]);
    const b = await identify(gw.url, [{ type: 'EMAIL', value: 'verified.b@example.com' }]);
    const merged = await identifyVerified(gw.url, [{ type: 'USER_ID', value: 'verified-user-a' }, { type: 'EMAIL', value: 'verified.b@example.com' }]);
    expect(merged).toEqual({ customer: { id: a.customer.id }, merged: [b.customer.id], rejectedLinks: [] });
    const read = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { identities { type verified } } }', { variables: { id: a.customer.id }, purpose: 'support' });
    expect(withoutTraceId(read.body).data).toEqual({ customer: { identities: [{ type: 'USER_ID', verified: true }, { type: 'EMAIL', verified: true }] } });
  });

  it('do not merge when only one side is verified', async () => {
    const a = await identify(gw.url, [{ type: 'USER_ID', value: 'half-user-a' }]);
    const b = await identify(gw.url, [{ type: 'EMAIL', value: 'half.b@example.com' }]);
    const response = await graphql(gw.url, IDENTIFY, {
      apiKey: ADMIN_KEY,
      variables: { input: { identities: [{ type: 'USER_ID', value: 'half-user-a' }, { type: 'EMAIL', value: 'half.b@example.com', verified: true }] } },
    });
    expect(withoutTraceId(response.body).data).toEqual({
      identify: {
        customer: { id: a.customer.id },
        merged: [],
        rejectedLinks: [{ index: 1, type: 'EMAIL', reason: 'UNVERIFIED_MERGE', limitType: null, limit: null, heldBy: b.customer.id }],
      },
    });
  });

  it('may be claimed only by a principal holding identity:verify', async () => {
    const response = await graphql(gw.url, IDENTIFY, {
      apiKey: INGEST_KEY,
      variables: { input: { identities: [{ type: 'USER_ID', value: 'claimed-user' }, { type: 'EMAIL', value: VICTIM.email, verified: true }] } },
    });
    expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual({
      status: 403,
      body: {
        data: null,
        errors: [
          {
            message: 'input.identities[1].verified needs the scope identity:verify.',
            locations: expect.any(Array),
            path: ['identify'],
            extensions: { code: 'FORBIDDEN', scope: 'identity:verify', field: 'input.identities[1].verified' },
          },
        ],
      },
    });
  });

  it('still let anonymous devices join a known customer by a login (the two-device story)', async () => {
    const known = await identifyVerified(gw.url, [{ type: 'USER_ID', value: 'two-device-user' }, { type: 'EMAIL', value: 'two.device@example.com' }]);
    const phone = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'two-device-phone' }, type: 'Page Viewed', channel: 'ios' });
    const joined = await identify(gw.url, [{ type: 'ANONYMOUS_ID', value: 'two-device-phone' }, { type: 'USER_ID', value: 'two-device-user' }]);
    expect(joined).toEqual({ customer: { id: known.customer.id }, merged: [phone.customerId], rejectedLinks: [] });
  });
});

describe('operators decide pending merges', () => {
  it('lists them, and accepting one merges the two through the engine, audited; the token then reads the merged customer', async () => {
    const own = await signedIn('pending-user-1', 'pending-device-1');
    const other = (await identify(gw.url, [{ type: 'EMAIL', value: 'pending.other@example.com' }], { firstName: 'Pat' })).customer.id;
    await identify(gw.url, [{ type: 'USER_ID', value: 'pending-user-1' }, { type: 'EMAIL', value: 'pending.other@example.com' }]);
    const id = suggestionId([own, other]);
    expect((await openSuggestions()).map((s) => s.id)).toContain(id);

    const forbidden = await graphql(gw.url, ACCEPT, { variables: { id }, purpose: 'support' });
    expect(forbidden.body.errors?.map((e) => e.extensions)).toEqual([{ code: 'FORBIDDEN', scope: 'identity:write' }]);

    const accepted = await graphql(gw.url, ACCEPT, { apiKey: ADMIN_KEY, variables: { id } });
    expect(withoutTraceId(accepted.body)).toEqual({
      data: { acceptMergeSuggestion: { suggestion: { id, status: 'ACCEPTED', decidedBy: 'key:demo_admin' }, customer: { id: own }, merged: [other] } },
    });
    expect((await openSuggestions()).map((s) => s.id)).not.toContain(id);
    // An operator decided the two are one person: the token now reads what both held.
    const merged = (await me('pending-user-1')).data?.me;
    expect({ profile: merged?.profile, identities: merged?.identities.map((i) => i.type) }).toEqual({
      profile: { firstName: 'Pat', email: null },
      identities: ['ANONYMOUS_ID', 'USER_ID', 'EMAIL'],
    });

    // One record on each customer's trail, each naming only its own customer (docs/privacy.md, "Audit").
    const decision = { change: 'mergeSuggestion', decision: 'ACCEPTED', suggestion: id, origin: 'UNVERIFIED_MERGE' };
    expect(await decisionRecords(own, 'acceptMergeSuggestion')).toEqual([{ principal: 'key:demo_admin', customerIds: [own], detail: { ...decision, side: 'survivor' } }]);
    expect(await decisionRecords(other, 'acceptMergeSuggestion')).toEqual([{ principal: 'key:demo_admin', customerIds: [other], detail: { ...decision, side: 'absorbed' } }]);
    expect(JSON.stringify(await trail(own))).not.toContain(other);
    expect(JSON.stringify(await trail(other))).not.toContain(own);

    const again = await graphql(gw.url, ACCEPT, { apiKey: ADMIN_KEY, variables: { id } });
    expect(again.body.errors?.map((e) => ({ message: e.message, extensions: e.extensions }))).toEqual([
      { message: 'The merge suggestion was already accepted.', extensions: { code: 'BAD_USER_INPUT', field: 'id', status: 'ACCEPTED' } },
    ]);
  });

  it('rejecting one keeps the pair apart for good: the same identify does not open it again', async () => {
    const own = await signedIn('pending-user-2', 'pending-device-2');
    const other = (await identify(gw.url, [{ type: 'EMAIL', value: 'pending.rejected@example.com' }])).customer.id;
    await identify(gw.url, [{ type: 'USER_ID', value: 'pending-user-2' }, { type: 'EMAIL', value: 'pending.rejected@example.com' }]);
    const id = suggestionId([own, other]);
    const rejected = await graphql(gw.url, REJECT, { apiKey: ADMIN_KEY, variables: { id, reason: 'different people, checked by phone' } });
    expect(withoutTraceId(rejected.body)).toEqual({ data: { rejectMergeSuggestion: { id, status: 'REJECTED' } } });
    // One record on each customer's trail, never the other's id nor the reason given.
    for (const customerId of [own, other]) {
      expect(await decisionRecords(customerId, 'rejectMergeSuggestion')).toEqual([
        {
          principal: 'key:demo_admin',
          customerIds: [customerId],
          detail: { change: 'mergeSuggestion', decision: 'REJECTED', suggestion: id, origin: 'UNVERIFIED_MERGE', side: 'kept-apart' },
        },
      ]);
    }
    expect(JSON.stringify(await trail(own))).not.toContain(other);
    expect(JSON.stringify(await trail(other))).not.toMatch(new RegExp(`${own}|checked by phone`));

    const retried = await identify(gw.url, [{ type: 'USER_ID', value: 'pending-user-2' }, { type: 'EMAIL', value: 'pending.rejected@example.com' }]);
    expect(retried.rejectedLinks.map((link) => link.reason)).toEqual(['UNVERIFIED_MERGE']);
    expect((await openSuggestions()).map((s) => s.id)).not.toContain(id);
    const listed = await graphql<{ mergeSuggestions: { edges: Array<{ node: Suggestion }> } }>(gw.url, SUGGESTIONS, { apiKey: ADMIN_KEY, variables: { status: 'REJECTED' } });
    expect(listed.body.data!.mergeSuggestions.edges.map((edge) => edge.node.id)).toContain(id);
  });

  it('needs identity:read to list and refuses ids that are not suggestion ids', async () => {
    const listing = await graphql(gw.url, SUGGESTIONS, { apiKey: INGEST_KEY });
    expect(listing.body.errors?.map((e) => e.extensions)).toEqual([{ code: 'FORBIDDEN', scope: 'identity:read' }]);
    const bad = await graphql(gw.url, ACCEPT, { apiKey: ADMIN_KEY, variables: { id: 'cus_1' } });
    expect(bad.body.errors?.map((e) => ({ message: e.message, extensions: e.extensions }))).toEqual([
      { message: 'id is not a merge suggestion id.', extensions: { code: 'BAD_USER_INPUT', field: 'id' } },
    ]);
  });
});

describe('a login carried by another claim', () => {
  it('reads the customer holding it when C360_CUSTOMER_TOKEN_CLAIM and C360_CUSTOMER_TOKEN_IDENTITY name it', async () => {
    const other = await startTestGateway({ C360_JWT_SECRET: TEST_JWT_SECRET, C360_CUSTOMER_TOKEN_CLAIM: 'email', C360_CUSTOMER_TOKEN_IDENTITY: 'EMAIL' });
    try {
      const token = await signToken({ sub: 'idp|8f2c', email: ' Demo.Customer@Example.com ', role: 'customer' });
      const response = await graphql(other.url, '{ me { id } viewer { kind } }', bearer(token));
      expect(withoutTraceId(response.body)).toEqual({ data: { me: { id: DEMO_CUSTOMERS.consent.id }, viewer: { kind: 'customer' } } });
      const noClaim = await graphql(other.url, '{ me { id } }', bearer(await signToken({ sub: 'idp|8f2c', role: 'customer' })));
      expect({ status: noClaim.status, body: noClaim.body }).toEqual({
        status: 401,
        body: { errors: [{ message: 'Invalid token: the "email" claim is not an identifier of type EMAIL.', extensions: { code: 'UNAUTHENTICATED' } }] },
      });
    } finally {
      await other.close();
    }
  });
});
