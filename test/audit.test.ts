import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTables, tableDefinitions } from '../connectors/singleview/tables.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { demoCustomer, testDemoData } from './support/demo.js';
import { graphql, startTestGateway, dynamoSingleView } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { PII_SELECTION, byPath, expectedPii } from './support/privacy.js';

const TRACE_ID = expect.stringMatching(/^[0-9a-f]{32}$/);

interface TrailPage {
  auditTrail: {
    edges: Array<{ cursor: string; node: { traceId: string; principal: string; purpose: string | null; operation: string; customerIds: string[]; fields: unknown[] } }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

const TRAIL = `query($c: ID!, $first: Int, $after: String) { auditTrail(customerId: $c, first: $first, after: $after) {
  edges { cursor node { at traceId principal purpose operation customerIds fields { path piiClass decision reason } } }
  pageInfo { hasNextPage endCursor } } }`;

async function trail(url: string, customerId: string, first = 100, after?: string) {
  const response = await graphql<TrailPage>(url, TRAIL, { apiKey: 'c360_demo_admin', variables: { c: customerId, first, after } });
  return response.body.data!.auditTrail;
}

describe('audit trail', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_SOURCE_TIMEOUT_MS: '5000' });
  });
  afterAll(() => gw?.close());

  it('records each release with who, why, whose, which fields and how; never a value', async () => {
    const id = DEMO_CUSTOMERS.consent.id;
    const response = await graphql(gw.url, `query Profile($id: ID!) { customer(id: $id) { profile { email birthDate } traits { lifetimeValue } } }`, {
      apiKey: 'c360_demo_marketing',
      purpose: 'marketing',
      variables: { id },
    });
    const traceId = response.body.extensions!.traceId as string;
    const records = (await trail(gw.url, id)).edges.map((edge) => edge.node).filter((node) => node.traceId === traceId);
    expect(records).toEqual([
      {
        at: expect.any(String),
        traceId,
        principal: 'key:demo_marketing',
        purpose: 'MARKETING',
        operation: 'query Profile',
        customerIds: [id],
        // lifetimeValue was withheld (FINANCIAL is denied for marketing): not a release, not here.
        fields: [
          { path: 'customer.profile.birthDate', piiClass: 'DEMOGRAPHIC', decision: 'mask', reason: 'POLICY_MASKS' },
          { path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'allow', reason: null },
        ],
      },
    ]);
    expect(JSON.stringify(records)).not.toContain(demoCustomer(id).customer.profile.email!);
  });

  it('keeps one record per response, and each customer sees only their own fields in it', async () => {
    const ids = testDemoData().customers.slice(10, 13).map((c) => c.id);
    const response = await graphql(gw.url, `query Batch($ids: [ID!]!) { customers(ids: $ids) { profile { email } } }`, {
      purpose: 'support',
      variables: { ids },
    });
    const traceId = response.body.extensions!.traceId as string;
    for (const [i, id] of ids.entries()) {
      const records = (await trail(gw.url, id)).edges.map((edge) => edge.node).filter((node) => node.traceId === traceId);
      expect(records).toEqual([
        expect.objectContaining({ customerIds: ids, fields: [{ path: `customers.${i}.profile.email`, piiClass: 'CONTACT', decision: 'allow', reason: null }] }),
      ]);
    }
  });

  it('writes nothing when nothing personal was released', async () => {
    const id = DEMO_CUSTOMERS.noConsent.id;
    const before = (await trail(gw.url, id)).edges.length;
    await graphql(gw.url, `query($id: ID!) { customer(id: $id) { profile { email } } }`, { variables: { id } }); // no purpose
    await graphql(gw.url, `query($id: ID!) { customer(id: $id) { profile { email } } }`, { apiKey: 'c360_demo_marketing', purpose: 'marketing', variables: { id } }); // no consent
    expect((await trail(gw.url, id)).edges.length).toBe(before);
  });

  it('pages newest first with opaque cursors', async () => {
    const id = testDemoData().customers[20]!.id;
    const traces: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await graphql(gw.url, `query($id: ID!) { customer(id: $id) { profile { phone } } }`, { purpose: 'fraud', variables: { id } });
      traces.push(response.body.extensions!.traceId as string);
    }
    const first = await trail(gw.url, id, 2);
    expect(first.edges.map((edge) => edge.node.traceId)).toEqual([traces[2], traces[1]]);
    expect(first.pageInfo).toEqual({ hasNextPage: true, endCursor: first.edges[1]!.cursor });
    const second = await trail(gw.url, id, 2, first.pageInfo.endCursor!);
    expect(second.edges.map((edge) => edge.node.traceId)).toEqual([traces[0]]);
    expect(second.pageInfo).toEqual({ hasNextPage: false, endCursor: second.edges[0]!.cursor });
  });
});

describe('when the single view fails', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_SOURCE_TIMEOUT_MS: '5000' });
    // A real failure of the store, not a mock: the audit table is gone.
    const store = dynamoSingleView(gw);
    await store.client.send(new DeleteTableCommand({ TableName: store.tables.audit }));
  });
  afterAll(() => gw?.close());

  it('withholds every personal field (fail closed) and still answers the rest', async () => {
    const id = DEMO_CUSTOMERS.consent.id;
    const response = await graphql(gw.url, `query Full($id: ID!) { customer(id: $id) { ${PII_SELECTION} } }`, { apiKey: 'c360_demo_admin', purpose: 'marketing', variables: { id } });

    // What marketing would have been given, with every released or transformed field taken back.
    const allowed = expectedPii(id, { purpose: 'marketing' }, ['customer']);
    const withheldByAudit = expectedPii(id, { purpose: null }, ['customer']);
    const policyDenied = allowed.fields.filter((field) => field.decision === 'deny');
    const taken = withheldByAudit.fields.filter((field) => !policyDenied.some((denied) => denied.path === field.path));
    const errors = byPath(response.body.errors);
    expect({ status: response.status, data: response.body.data, extensions: response.body.extensions }).toEqual({
      status: 200,
      data: { customer: withheldByAudit.value },
      extensions: {
        traceId: TRACE_ID,
        privacy: {
          purpose: 'MARKETING',
          fields: byPath([...policyDenied, ...taken.map((field) => ({ ...field, reason: 'AUDIT_UNAVAILABLE' }))]),
        },
      },
    });
    expect(errors).toEqual(
      byPath([
        ...allowed.errors,
        ...taken.map((field) => ({
          message: 'Personal field withheld: the release could not be recorded in the audit trail.',
          path: field.path.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part)),
          extensions: { code: 'PII_ACCESS_DENIED', reason: 'AUDIT_UNAVAILABLE', piiClass: field.piiClass },
        })),
      ]),
    );
    expect(gw.logs.filter((line) => line.includes('audit write failed')).map((line) => JSON.parse(line).level)).toEqual(['error']);
  });

  it('answers requests without personal fields as usual, and releases again once the store is back', async () => {
    const id = DEMO_CUSTOMERS.consent.id;
    const plain = await graphql(gw.url, `query($id: ID!) { customer(id: $id) { id traits { orderCount } } }`, { purpose: 'support', variables: { id } });
    expect(plain.body).toEqual({ data: { customer: { id, traits: { orderCount: demoCustomer(id).customer.traits.orderCount } } }, extensions: { traceId: TRACE_ID } });

    const store = dynamoSingleView(gw);
    await ensureTables(store.client, tableDefinitions(store.tables));
    const response = await graphql(gw.url, `query($id: ID!) { customer(id: $id) { profile { email } } }`, { purpose: 'support', variables: { id } });
    expect(response.body).toEqual({
      data: { customer: { profile: { email: demoCustomer(id).customer.profile.email } } },
      extensions: { traceId: TRACE_ID, privacy: { purpose: 'SUPPORT', fields: [] } },
    });
  });

  it('refuses a key it cannot look up with 503 SOURCE_UNAVAILABLE, not as a bad key', async () => {
    const store = dynamoSingleView(gw);
    await store.client.send(new DeleteTableCommand({ TableName: store.tables.apiKeys }));
    const response = await graphql(gw.url, '{ viewer { id } }', { apiKey: `c360_notcached.${'s'.repeat(43)}` });
    expect({ status: response.status, body: response.body }).toEqual({
      status: 503,
      body: { errors: [{ message: 'Credentials could not be checked: singleview source is unavailable: ResourceNotFoundException.', extensions: { code: 'SOURCE_UNAVAILABLE', source: 'singleview' } }] },
    });
  });
});
