import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestGateway, SUPPORT_RELEASE, TestClock, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { ADMIN_KEY, identify, identifyVerified, INGEST_KEY, track, TRACK } from './support/writes.js';

const clock = new TestClock('2026-11-10T09:00:00.000Z');
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ C360_SINGLEVIEW_TIMEOUT_MS: '10000', C360_DEMO_CUSTOMERS: '10' }, { clock: clock.now });
});
afterAll(() => gw?.close());

const GRAPH = /* GraphQL */ `
  query Graph($id: ID!) {
    customer(id: $id) {
      identityGraph {
        customerId
        nodes { id type value source firstSeenAt }
        edges { from to kind rule at principal }
        changes { kind rule at identityTypes nodes otherCustomerId principal }
      }
    }
  }
`;

const EXPLAIN = /* GraphQL */ `
  query Explain($a: IdentityInput!, $b: IdentityInput!) {
    explainLink(a: $a, b: $b) {
      sameCustomer
      a { type customerId blocked }
      b { type customerId blocked }
      nodes { type value }
      edges { kind rule at }
    }
  }
`;

const user = { type: 'USER_ID', value: 'graph-user' };
const email = { type: 'EMAIL', value: 'graph.family@example.com' };
const device = { type: 'DEVICE_ID', value: 'graph-device' };
const phone = { type: 'PHONE', value: '+14155550177' };
const principal = 'key:demo_ingest';
/** The merge of two known people needs identifiers verified on both sides: the admin key's identity:verify. */
const verifier = 'key:demo_admin';

describe('the identity graph and explainLink', () => {
  let alice: string;
  let bob: string;
  beforeAll(async () => {
    clock.set('2026-11-10T09:00:00.000Z');
    alice = (await identify(gw.url, [user, email])).customer.id;
    clock.set('2026-11-10T09:05:00.000Z');
    bob = (await track(gw.url, { identity: device, type: 'Page Viewed' })).customerId;
    clock.set('2026-11-10T09:06:00.000Z');
    await identify(gw.url, [device, phone]);
    clock.set('2026-11-10T09:20:00.000Z');
    await identifyVerified(gw.url, [device, email]);
  });

  it('shows every identifier as a node and every link and merge as an edge, with its rule, time and caller', async () => {
    const response = await graphql<{ customer: { identityGraph: { changes: Array<{ kind: string }> } } }>(gw.url, GRAPH, {
      variables: { id: alice },
      purpose: 'support',
    });
    const body = withoutTraceId(response.body);
    const graph = body.data!.customer.identityGraph;
    // create and link of one call share a time: their order in the log is not defined.
    graph.changes.sort((a, b) => a.kind.localeCompare(b.kind));
    expect(body).toEqual({
      extensions: SUPPORT_RELEASE,
      data: {
        customer: {
          identityGraph: {
            customerId: alice,
            nodes: [
              { id: 'n1', type: 'USER_ID', value: 'graph-user', source: principal, firstSeenAt: '2026-11-10T09:00:00.000Z' },
              { id: 'n2', type: 'EMAIL', value: 'graph.family@example.com', source: principal, firstSeenAt: '2026-11-10T09:00:00.000Z' },
              { id: 'n3', type: 'DEVICE_ID', value: 'graph-device', source: principal, firstSeenAt: '2026-11-10T09:05:00.000Z' },
              { id: 'n4', type: 'PHONE', value: '+14155550177', source: principal, firstSeenAt: '2026-11-10T09:06:00.000Z' },
            ],
            edges: [
              { from: 'n1', to: 'n2', kind: 'LINK', rule: 'exact-match', at: '2026-11-10T09:00:00.000Z', principal },
              { from: 'n3', to: 'n4', kind: 'LINK', rule: 'exact-match', at: '2026-11-10T09:06:00.000Z', principal },
              { from: 'n2', to: 'n3', kind: 'MERGE', rule: 'priority:EMAIL', at: '2026-11-10T09:20:00.000Z', principal: verifier },
            ],
            changes: [
              { kind: 'CREATE', rule: 'new-identifier', at: '2026-11-10T09:00:00.000Z', identityTypes: ['USER_ID'], nodes: ['n1'], otherCustomerId: null, principal },
              { kind: 'LINK', rule: 'exact-match', at: '2026-11-10T09:00:00.000Z', identityTypes: ['EMAIL'], nodes: ['n2'], otherCustomerId: null, principal },
              {
                kind: 'MERGE',
                rule: 'priority:EMAIL',
                at: '2026-11-10T09:20:00.000Z',
                identityTypes: ['DEVICE_ID', 'PHONE'],
                nodes: ['n3', 'n4'],
                otherCustomerId: bob,
                principal: verifier,
              },
            ],
          },
        },
      },
    });
  });

  it('explains a link as the chain of rules that joins two identifiers', async () => {
    const response = await graphql(gw.url, EXPLAIN, { variables: { a: { ...user, value: ' graph-user ' }, b: { type: 'PHONE', value: '(415) 555-0177' } }, purpose: 'support' });
    expect(withoutTraceId(response.body)).toEqual({
      extensions: SUPPORT_RELEASE,
      data: {
        explainLink: {
          sameCustomer: true,
          a: { type: 'USER_ID', customerId: alice, blocked: false },
          b: { type: 'PHONE', customerId: alice, blocked: false },
          nodes: [
            { type: 'USER_ID', value: 'graph-user' },
            { type: 'EMAIL', value: 'graph.family@example.com' },
            { type: 'DEVICE_ID', value: 'graph-device' },
            { type: 'PHONE', value: '+14155550177' },
          ],
          edges: [
            { kind: 'LINK', rule: 'exact-match', at: '2026-11-10T09:00:00.000Z' },
            { kind: 'MERGE', rule: 'priority:EMAIL', at: '2026-11-10T09:20:00.000Z' },
            { kind: 'LINK', rule: 'exact-match', at: '2026-11-10T09:06:00.000Z' },
          ],
        },
      },
    });
  });

  it('after an unmerge, explains that the two sides are apart and keeps each side’s own links', async () => {
    clock.set('2026-11-10T09:30:00.000Z');
    const split = await graphql<{ unmerge: { splitCustomer: { id: string } } }>(
      gw.url,
      'mutation($ids: [IdentityInput!]!) { unmerge(customerId: "' + alice + '", identities: $ids, reason: "wrong merge") { splitCustomer { id } } }',
      { variables: { ids: [device, phone] }, apiKey: ADMIN_KEY },
    );
    const bobNow = split.body.data!.unmerge.splitCustomer.id;
    const explained = await graphql(gw.url, EXPLAIN, { variables: { a: user, b: phone }, purpose: 'support' });
    expect(withoutTraceId(explained.body)).toEqual({
      data: {
        explainLink: {
          sameCustomer: false,
          a: { type: 'USER_ID', customerId: alice, blocked: false },
          b: { type: 'PHONE', customerId: bobNow, blocked: false },
          nodes: [],
          edges: [],
        },
      },
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
    const graph = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { identityGraph { nodes { type } edges { from to kind rule } changes(first: 1) { kind rule identityTypes otherCustomerId } } } }', {
      variables: { id: bobNow },
      purpose: 'support',
    });
    expect(withoutTraceId(graph.body)).toEqual({
      data: {
        customer: {
          identityGraph: {
            nodes: [{ type: 'DEVICE_ID' }, { type: 'PHONE' }],
            edges: [{ from: 'n1', to: 'n2', kind: 'LINK', rule: 'exact-match' }],
            changes: [{ kind: 'UNMERGE', rule: 'split-from', identityTypes: ['DEVICE_ID', 'PHONE'], otherCustomerId: alice }],
          },
        },
      },
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
  });

  it('joins identifiers loaded with a record by RECORD edges from the first one', async () => {
    const response = await graphql<{ customer: { identityGraph: { nodes: Array<{ id: string }>; edges: Array<{ from: string; kind: string; rule: string }> } } }>(
      gw.url,
      'query { customer(id: "cus_demo_customer") { identityGraph { nodes { id } edges { from to kind rule } } } }',
      { purpose: 'support' },
    );
    const { nodes, edges } = response.body.data!.customer.identityGraph;
    expect(edges).toHaveLength(nodes.length - 1);
    expect(new Set(edges.map((edge) => `${edge.from}|${edge.kind}|${edge.rule}`))).toEqual(new Set(['n1|RECORD|same-record']));
  });
});

describe('blocked identifier values never link people', () => {
  /** The ingestion key may write but not read personal data back; the admin key may do both. */
  const identifyAsAdmin = (identities: ReadonlyArray<{ type: string; value: string }>) =>
    graphql(
      gw.url,
      'mutation($i: IdentifyInput!) { identify(input: $i) { customer { identities { type value } } merged rejectedLinks { index type reason limitType limit heldBy } } }',
      { variables: { i: { identities } }, apiKey: ADMIN_KEY, purpose: 'support' },
    );

  it('links the real identifiers of an identify call and reports the blocked ones', async () => {
    const response = await identifyAsAdmin([{ type: 'ANONYMOUS_ID', value: '0' }, { type: 'EMAIL', value: 'blocked.real@example.com' }, { type: 'DEVICE_ID', value: '00000000-0000-0000-0000-000000000000' }, { type: 'USER_ID', value: 'Undefined' }]);
    expect(withoutTraceId(response.body)).toEqual({
      extensions: SUPPORT_RELEASE,
      data: {
        identify: {
          customer: { identities: [{ type: 'EMAIL', value: 'blocked.real@example.com' }] },
          merged: [],
          rejectedLinks: [
            { index: 0, type: 'ANONYMOUS_ID', reason: 'BLOCKED_VALUE', limitType: null, limit: null, heldBy: null },
            { index: 2, type: 'DEVICE_ID', reason: 'BLOCKED_VALUE', limitType: null, limit: null, heldBy: null },
            { index: 3, type: 'USER_ID', reason: 'BLOCKED_VALUE', limitType: null, limit: null, heldBy: null },
          ],
        },
      },
    });
    const lookup = await graphql(gw.url, 'query { customerByIdentity(type: ANONYMOUS_ID, value: "0") { id } }');
    expect(withoutTraceId(lookup.body)).toEqual({ data: { customerByIdentity: null } });
  });

  it('reports a placeholder that is not even well-formed for its type (a phone of 000-000 or n/a) as blocked, and links the rest', async () => {
    const response = await identifyAsAdmin([{ type: 'PHONE', value: '000-000' }, { type: 'EMAIL', value: 'placeholder.phone@example.com' }, { type: 'PHONE', value: 'N/A' }, { type: 'EMAIL', value: ' n/a ' }]);
    expect(withoutTraceId(response.body)).toEqual({
      extensions: SUPPORT_RELEASE,
      data: {
        identify: {
          customer: { identities: [{ type: 'EMAIL', value: 'placeholder.phone@example.com' }] },
          merged: [],
          rejectedLinks: [0, 2, 3].map((index) => ({ index, type: index === 3 ? 'EMAIL' : 'PHONE', reason: 'BLOCKED_VALUE', limitType: null, limit: null, heldBy: null })),
        },
      },
    });
  });

  it.each([
    ['a malformed phone that is no placeholder', { type: 'PHONE', value: '12' }, 'input.identities[1].value is not a valid phone number (default region US) for identity type PHONE.'],
    ['an empty value', { type: 'USER_ID', value: '  ' }, 'input.identities[1].value is empty for identity type USER_ID.'],
  ])('still refuses %s, naming the field', async (_name, identity, message) => {
    const response = await graphql(gw.url, 'mutation($i: IdentifyInput!) { identify(input: $i) { merged } }', {
      variables: { i: { identities: [{ type: 'EMAIL', value: 'still.refused@example.com' }, identity] } },
      apiKey: INGEST_KEY,
    });
    expect(withoutTraceId(response.body)).toEqual({
      data: null,
      errors: [{ message, locations: [{ line: 1, column: 32 }], path: ['identify'], extensions: { code: 'BAD_USER_INPUT', field: 'input.identities[1].value' } }],
    });
  });

  const refusals: Array<[string, { query: string; variables: Record<string, unknown> }, string, string]> = [
    [
      'track with a placeholder phone that is no phone number',
      { query: TRACK, variables: { input: { identity: { type: 'PHONE', value: '000-000' }, type: 'Call' } } },
      'track',
      'input.identity.value',
    ],
    [
      'identify with nothing but blocked values',
      { query: 'mutation($i: IdentifyInput!) { identify(input: $i) { merged } }', variables: { i: { identities: [{ type: 'EMAIL', value: 'TEST@test.com' }, { type: 'ANONYMOUS_ID', value: 'null' }] } } },
      'identify',
      'input.identities',
    ],
    [
      'track with a blocked identifier',
      { query: TRACK, variables: { input: { identity: { type: 'ANONYMOUS_ID', value: 'anonymous' }, type: 'Page Viewed' } } },
      'track',
      'input.identity.value',
    ],
  ];
  it.each(refusals)('refuses %s with BAD_USER_INPUT and the reason', async (_name, request, path, field) => {
    const response = await graphql(gw.url, request.query, { variables: request.variables, apiKey: INGEST_KEY });
    expect(withoutTraceId(response.body)).toEqual({
      data: null,
      errors: [{ message: expect.stringContaining('blocked'), locations: expect.any(Array), path: [path], extensions: { code: 'BAD_USER_INPUT', field, reason: 'BLOCKED_VALUE' } }],
    });
  });

  it('says so when asked to explain a blocked value', async () => {
    const response = await graphql(
      gw.url,
      'query { explainLink(a: { type: DEVICE_ID, value: "0000" }, b: { type: EMAIL, value: "blocked.real@example.com" }) { sameCustomer a { blocked customerId } b { blocked } } }',
      { purpose: 'support' },
    );
    expect(withoutTraceId(response.body)).toEqual({
      data: { explainLink: { sameCustomer: false, a: { blocked: true, customerId: null }, b: { blocked: false } } },
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
  });
});
