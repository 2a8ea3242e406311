import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { testDemoData } from './support/demo.js';
import { AuditFaults } from './support/faultyAudit.js';

const CUSTOMERS = /* GraphQL */ `
  query Everything($ids: [ID!]!, $email: String!) {
    customers(ids: $ids) {
      id createdAt updatedAt
      profile { firstName lastName email phone birthDate address { line1 city postalCode country } }
      identities { type value source firstSeenAt lastSeenAt }
      consents { purpose status channel updatedAt source }
      segments { segment { id name } since }
      loyalty { memberId tier pointsBalance lifetimePoints tierExpiresAt }
      crm { crmId accountManager openCases { id subject status openedAt } }
      traits { lifetimeValue orderCount firstSeenAt lastSeenAt }
      events(first: 3, types: ["Order Completed", "Page Viewed"]) { edges { cursor node { id type occurredAt properties } } pageInfo { hasNextPage endCursor } }
    }
    customerByIdentity(type: EMAIL, value: $email) { id }
  }
`;

/** A busy machine must not turn a comparison of answers into a timeout test. */
const GENEROUS = { C360_SOURCE_TIMEOUT_MS: '5000' };

/** The benchmark-only setting that serves every source from memory must not change a single answer. */
describe('sources answered from memory (C360_SOURCES=memory, benchmark mode)', () => {
  let dynalite: TestGateway;
  let memory: TestGateway;
  beforeAll(async () => {
    [dynalite, memory] = await Promise.all([startTestGateway(GENEROUS), startTestGateway({ ...GENEROUS, C360_BENCHMARK_MODE: 'true', C360_SOURCES: 'memory' })]);
  });
  afterAll(async () => {
    await Promise.all([dynalite?.close(), memory?.close()]);
  });

  it('answers exactly what the embedded default answers', async () => {
    const ids = [DEMO_CUSTOMERS.consent.id, 'cus_unknown', ...testDemoData().customers.slice(2, 40).map((c) => c.id)];
    const variables = { ids, email: DEMO_CUSTOMERS.noConsent.email };
    const [fromDynalite, fromMemory] = await Promise.all([graphql(dynalite.url, CUSTOMERS, { variables, purpose: 'support' }), graphql(memory.url, CUSTOMERS, { variables, purpose: 'support' })]);
    expect(fromDynalite.body.errors).toBeUndefined();
    expect(withoutTraceId(fromMemory.body)).toEqual(withoutTraceId(fromDynalite.body));
  });

  it('writes a read\'s one exact audit record after the sources answered, without the intent a remote store gets beside them', async () => {
    const auditWrites = (gw: TestGateway) =>
      gw.spans.getFinishedSpans().filter((span) => span.name === 'c360.source.singleview' && span.attributes['c360.source.operation'] === 'appendAudits').length;
    const read = async (gw: TestGateway) => {
      gw.spans.reset();
      const response = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { profile { email } } }', { variables: { id: DEMO_CUSTOMERS.consent.id }, purpose: 'support' });
      expect(response.body.data).toEqual({ customer: { profile: { email: DEMO_CUSTOMERS.consent.email } } });
    };
    await read(memory);
    expect(auditWrites(memory)).toBe(1);
    // Under the read's span, in its trace, as the reads of its sources are (not a trace of its own).
    const spans = memory.spans.getFinishedSpans();
    const operation = spans.find((span) => span.name.startsWith('graphql.query'));
    const write = spans.find((span) => span.attributes['c360.source.operation'] === 'appendAudits');
    expect(operation).toBeDefined();
    expect({ traceId: write?.spanContext().traceId, parent: write?.parentSpanContext?.spanId }).toEqual({
      traceId: operation!.spanContext().traceId,
      parent: operation!.spanContext().spanId,
    });
    // Over dynalite the intent goes out beside the source calls and the exact record replaces it after the response.
    await read(dynalite);
    await expect.poll(() => auditWrites(dynalite), { timeout: 5_000 }).toBe(2);
  });

  it('says so in /readyz', async () => {
    const response = await fetch(`${memory.url}/readyz`, { headers: { 'x-api-key': 'c360_demo_admin' } });
    const body = (await response.json()) as { sources: Record<string, { adapter: string }> };
    expect(Object.values(body.sources).map((source) => source.adapter)).toEqual(Array(4).fill('memory (benchmark)'));
  });
});

/** From memory, a read's record goes straight to the store (no writer queue): the response still waits for it and fails closed. */
describe('the audit of a single view in memory', () => {
  const faults = new AuditFaults();
  let memory: TestGateway;
  beforeAll(async () => {
    memory = await startTestGateway({ ...GENEROUS, C360_BENCHMARK_MODE: 'true', C360_SOURCES: 'memory', C360_BREAKER_THRESHOLD: '1000' }, { decorateSources: faults.decorate });
  });
  afterAll(() => memory?.close());
  const read = () =>
    graphql(memory.url, 'query Email($id: ID!) { customer(id: $id) { id profile { email } } }', { variables: { id: DEMO_CUSTOMERS.consent.id }, purpose: 'support' });

  it('withholds what it cannot record, and releases again once the store takes records', async () => {
    faults.down = true;
    const refused = await read();
    expect(withoutTraceId(refused.body)).toEqual({
      data: { customer: { id: DEMO_CUSTOMERS.consent.id, profile: { email: null } } },
      errors: [
        {
          message: 'Personal field withheld: the release could not be recorded in the audit trail.',
          locations: [{ line: 1, column: 58 }],
          path: ['customer', 'profile', 'email'],
          extensions: { code: 'PII_ACCESS_DENIED', reason: 'AUDIT_UNAVAILABLE', piiClass: 'CONTACT' },
        },
      ],
      extensions: { privacy: { purpose: 'SUPPORT', fields: [{ path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'deny', reason: 'AUDIT_UNAVAILABLE' }] } },
    });
    faults.down = false;
    const released = await read();
    expect(withoutTraceId(released.body)).toEqual({
      data: { customer: { id: DEMO_CUSTOMERS.consent.id, profile: { email: DEMO_CUSTOMERS.consent.email } } },
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
    // One write per read, each holding the read's one record, straight from the request.
    expect(faults.writes.map((write) => ({ operations: write.operations, failed: write.failed }))).toEqual([
      { operations: ['query Email'], failed: true },
      { operations: ['query Email'], failed: false },
    ]);
  });
});
