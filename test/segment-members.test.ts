import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey } from '../src/auth/keyAdmin.js';
import { loadSegmentFile } from '../src/segments/definitions.js';
import { graphql, startTestGateway, TestClock } from './support/gateway.js';
import type { GraphQLResponse, TestGateway } from './support/gateway.js';
import { byPath } from './support/privacy.js';
import { ADMIN_KEY, identify, setConsent, track } from './support/writes.js';

/**
 * Segment.members over real HTTP (docs/segments.md, "Listing members";
 * docs/security.md, "Scopes"): the index the worker keeps from writes,
 * paged by cursor; members are customers under scope, purpose, consent and
 * audit.
 */
const clock = new TestClock('2026-11-15T10:00:00.000Z');
let gw: TestGateway;
/** segments:read only. */
let segmentsOnlyKey: string;
/** customer:read only. */
let customersOnlyKey: string;
/** Created as `segment:read` + customer:read: the alias spelling. */
let aliasKey: string;
const members: string[] = [];

const MEMBERS = /* GraphQL */ `
  query Members($id: ID!, $first: Int, $after: String) {
    segment(id: $id) { id members(first: $first, after: $after) { edges { cursor since node { id profile { firstName } identities { value } } } pageInfo { hasNextPage endCursor } } }
  }
`;
const IDS = /* GraphQL */ `
  query MemberIds($first: Int, $after: String) {
    segment(id: "pinged") { members(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }
  }
`;

type MembersBody = { segment: { id: string; members: { edges: Array<{ cursor: string; since: string | null; node: { id: string; profile: { firstName: string | null } | null; identities: Array<{ value: string }> | null } | null }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null };

beforeAll(async () => {
  // The bundled segments and one the test controls: a Test Ping in the last hour.
  const dir = mkdtempSync(join(tmpdir(), 'c360-members-'));
  const file = join(dir, 'segments.json');
  const bundled = loadSegmentFile().segments;
  writeFileSync(file, JSON.stringify({ segments: [...bundled, { id: 'pinged', name: 'Pinged', realtime: true, rule: { type: 'eventWithin', event: 'Test Ping', minutes: 60 } }] }));
  gw = await startTestGateway({ C360_DEMO_CUSTOMERS: '20', C360_SEGMENTS_FILE: file, C360_RATE_LIMIT_PER_MINUTE: '0' }, { clock: clock.now });
  const store = gw.gateway.services.sources.singleView;
  const audit = { log: gw.gateway.services.audit, operator: 'segment-members-test' };
  segmentsOnlyKey = (await createKey(store, { clientName: 'Segments only', scopes: ['segments:read'], purposes: ['support'] }, audit)).key;
  customersOnlyKey = (await createKey(store, { clientName: 'Customers only', scopes: ['customer:read'], purposes: ['support'] }, audit)).key;
  const alias = await createKey(store, { clientName: 'Alias', scopes: ['segment:read', 'customer:read'], purposes: ['support', 'marketing'] }, audit);
  expect(alias.record.scopes).toEqual(['segments:read', 'customer:read']);
  aliasKey = alias.key;
  for (const n of [1, 2, 3, 4, 5]) {
    const id = (await identify(gw.url, [{ type: 'EMAIL', value: `member${n}@example.org` }], { firstName: `Member${n}` })).customer.id;
    await track(gw.url, { identity: { type: 'EMAIL', value: `member${n}@example.org` }, type: 'Test Ping' });
    members.push(id);
  }
  members.sort();
  await setConsent(gw.url, { customerId: members[0], purpose: 'MARKETING', status: 'GRANTED', source: 'members-test' });
  // The worker's round, as the gateway runs it every C360_SEGMENTS_WORKER_MS (off under tests): backfill, outbox, due customers.
  await gw.gateway.services.segmentWorker.runOnce();
});
afterAll(() => gw?.close());

async function allIds(first: number, apiKey = ADMIN_KEY): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let after: string | null = null;
  let pages = 0;
  for (;;) {
    const response: GraphQLResponse<MembersBody> = await graphql<MembersBody>(gw.url, IDS, { apiKey, purpose: 'support', variables: { first, after } });
    expect(response.body.errors).toBeUndefined();
    const connection: NonNullable<MembersBody['segment']>['members'] = response.body.data!.segment!.members;
    ids.push(...connection.edges.map((edge) => edge.node!.id));
    pages += 1;
    if (!connection.pageInfo.hasNextPage) break;
    expect(connection.pageInfo.endCursor).toBe(connection.edges.at(-1)!.cursor);
    after = connection.pageInfo.endCursor;
  }
  return { ids, pages };
}

describe('Segment.members', () => {
  it('lists the members the writes made, in customer id order, a page at a time by cursor', async () => {
    expect(await allIds(2)).toEqual({ ids: members, pages: 3 });
    expect(await allIds(100)).toEqual({ ids: members, pages: 1 });
    const unknown = await graphql(gw.url, MEMBERS, { apiKey: ADMIN_KEY, purpose: 'support', variables: { id: 'no_such_segment' } });
    expect(unknown.body).toMatchObject({ data: { segment: null } });
    expect(unknown.body.errors).toBeUndefined();
  });

  it('refuses a bad first or after, naming the argument', async () => {
    for (const [variables, field] of [
      [{ id: 'pinged', first: 0 }, 'first'],
      [{ id: 'pinged', first: 101 }, 'first'],
      [{ id: 'pinged', after: 'not a cursor' }, 'after'],
      [{ id: 'pinged', after: Buffer.from('{"t":"x"}').toString('base64url') }, 'after'],
    ] as const) {
      const response = await graphql(gw.url, MEMBERS, { apiKey: ADMIN_KEY, purpose: 'support', variables });
      expect(response.body.errors).toEqual([expect.objectContaining({ path: ['segment', 'members'], extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field }) })]);
    }
  });

  it('needs segments:read for the segment and customer:read for its members; segment:read works as an alias', async () => {
    const noSegments = await graphql(gw.url, MEMBERS, { apiKey: customersOnlyKey, purpose: 'support', variables: { id: 'pinged' } });
    expect(noSegments.status).toBe(403);
    expect(noSegments.body.errors).toEqual([expect.objectContaining({ path: ['segment'], extensions: { code: 'FORBIDDEN', scope: 'segments:read' } })]);
    const noCustomers = await graphql(gw.url, MEMBERS, { apiKey: segmentsOnlyKey, purpose: 'support', variables: { id: 'pinged' } });
    expect(noCustomers.body.errors).toEqual([expect.objectContaining({ path: ['segment', 'members'], extensions: { code: 'FORBIDDEN', scope: 'customer:read' } })]);
    expect(noCustomers.body.data).toEqual({ segment: null });
    expect((await allIds(50, aliasKey)).ids).toEqual(members);
  });

  it('needs a stated purpose the key may pursue', async () => {
    const none = await graphql(gw.url, MEMBERS, { apiKey: ADMIN_KEY, variables: { id: 'pinged' } });
    expect(none.body.errors).toEqual([expect.objectContaining({ path: ['segment', 'members'], extensions: expect.objectContaining({ code: 'PII_ACCESS_DENIED', reason: 'PURPOSE_REQUIRED' }) })]);
    expect(none.body.data).toEqual({ segment: null });
    const notAllowed = await graphql(gw.url, MEMBERS, { apiKey: 'c360_demo_marketing', purpose: 'support', variables: { id: 'pinged' } });
    expect(notAllowed.status).toBe(403);
    expect(notAllowed.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'PURPOSE_NOT_ALLOWED' }) })]);
  });

  it('decides each member’s fields on that member’s consent: marketing hashes the consenting one’s identifiers and withholds the others’ fields', async () => {
    const response = await graphql<MembersBody>(gw.url, MEMBERS, { apiKey: aliasKey, purpose: 'marketing', variables: { id: 'pinged', first: 2 } });
    const [granted, refused] = response.body.data!.segment!.members.edges;
    expect(granted!.node!.id).toBe(members[0]);
    expect(granted!.node!.profile!.firstName).toMatch(/^Member[1-5]$/);
    const [identity] = granted!.node!.identities!;
    expect(identity!.value).not.toContain('example.org');
    expect(identity!.value).toMatch(/^[A-Za-z0-9:_-]{16,}$/);
    expect(granted!.since).toBe('2026-11-15T10:00:00.000Z');
    expect(refused!.node!.id).toBe(members[1]);
    expect(refused!.since).toBeNull();
    expect(refused!.node!.profile).toEqual({ firstName: null });
    expect(refused!.node!.identities).toBeNull();
    const reasons = byPath(response.body.errors).map((error) => [error.path!.join('.'), (error.extensions as { reason: string }).reason]);
    expect(reasons).toEqual([
      ['segment.members.edges.1.node.identities', 'CONSENT_NOT_GRANTED'],
      ['segment.members.edges.1.node.profile.firstName', 'CONSENT_NOT_GRANTED'],
      ['segment.members.edges.1.since', 'CONSENT_NOT_GRANTED'],
    ]);
  });

  it('records each member’s released fields on that member’s audit trail', async () => {
    const response = await graphql<MembersBody>(gw.url, MEMBERS, { apiKey: 'c360_demo_support', purpose: 'support', variables: { id: 'pinged', first: 1 } });
    expect(response.body.errors).toBeUndefined();
    const traceId = response.body.extensions!.traceId as string;
    const trail = await graphql<{ auditTrail: { edges: Array<{ node: { traceId: string; fields: Array<{ path: string; piiClass: string; decision: string }> } }> } }>(
      gw.url,
      'query($c: ID!) { auditTrail(customerId: $c, first: 50) { edges { node { traceId fields { path piiClass decision } } } } }',
      { apiKey: ADMIN_KEY, variables: { c: members[0] } },
    );
    const records = trail.body.data!.auditTrail.edges.map((edge) => edge.node).filter((node) => node.traceId === traceId);
    expect(records).toHaveLength(1);
    expect(byPath(records[0]!.fields)).toEqual(
      expect.arrayContaining([
        { path: 'segment.members.edges.0.since', piiClass: 'BEHAVIORAL', decision: 'allow' },
        expect.objectContaining({ path: 'segment.members.edges.0.node.profile.firstName', decision: 'allow' }),
      ]),
    );
    // Nobody else's trail has this request.
    const other = await graphql<{ auditTrail: { edges: Array<{ node: { traceId: string } }> } }>(gw.url, 'query($c: ID!) { auditTrail(customerId: $c, first: 50) { edges { node { traceId } } } }', {
      apiKey: ADMIN_KEY,
      variables: { c: members[1] },
    });
    expect(other.body.data!.auditTrail.edges.map((edge) => edge.node.traceId)).not.toContain(traceId);
  });

  it('follows time: members whose window closed leave on the worker’s next round, found by their due time alone', async () => {
    clock.advance(30);
    await track(gw.url, { identity: { type: 'EMAIL', value: 'member5@example.org' }, type: 'Test Ping' });
    clock.advance(31);
    const round = await gw.gateway.services.segmentWorker.runOnce();
    // Members were found by their due time (some may already have been evaluated by an earlier step of the round); never a scan of all 25.
    expect(round.due.evaluated).toBeGreaterThanOrEqual(1);
    expect(round.due.evaluated).toBeLessThan(25);
    const stillIn = (await allIds(50)).ids;
    const pinger = (await identify(gw.url, [{ type: 'EMAIL', value: 'member5@example.org' }])).customer.id;
    expect(stillIn).toEqual([pinger]);
  });
});
