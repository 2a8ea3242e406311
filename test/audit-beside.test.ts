import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecordModel } from '../src/domain/index.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { testDemoData } from './support/demo.js';
import { AuditFaults } from './support/faultyAudit.js';
import { dynamoSingleView, graphql, startTestGateway } from './support/gateway.js';
import { changeMiddleware } from './support/middleware.js';
import type { TestGateway } from './support/gateway.js';
import { LoyaltyTestServer } from './support/loyaltyServer.js';
import { PII_SELECTION, byPath, expectedPii } from './support/privacy.js';
import type { AuditedField } from './support/privacy.js';
import { TEST_JWT_SECRET, signToken } from './support/tokens.js';
import { INGEST_KEY } from './support/writes.js';

/**
 * The audit record of a read is written beside its source calls (issue 19,
 * docs/security.md "Fail closed"): an intent record per customer as the
 * read starts, the response held until it is durable, then the exact record
 * of what was released in its place. Over real HTTP, on the real Apollo
 * Server, against dynalite; the loyalty service is a real HTTP server on
 * loopback, and the audit store's faults and holds are a thin layer around
 * the real single view (test/support/faultyAudit.ts).
 */

/** A loyalty service that answers only once it is let go (or after a backstop), and says which. */
class GatedLoyalty extends LoyaltyTestServer {
  gate: Promise<void> | undefined;
  readonly answeredBy: Array<'gate' | 'backstop'> = [];

  protected override async handle(request: IncomingMessage, body: string, response: ServerResponse): Promise<void> {
    if (this.gate && new URL(request.url ?? '/', 'http://loyalty').pathname === '/members') {
      let backstop: NodeJS.Timeout | undefined;
      const by = await Promise.race([
        this.gate.then(() => 'gate' as const),
        new Promise<'backstop'>((resolve) => (backstop = setTimeout(() => resolve('backstop'), 3_000))),
      ]);
      clearTimeout(backstop);
      this.answeredBy.push(by);
    }
    return super.handle(request, body, response);
  }
}

const FULL = `query Beside($id: ID!) { customer(id: $id) { ${PII_SELECTION} } }`;
const isIntent = (record: AuditRecordModel) => record.detail?.stage === 'intent';
const of = (operation: string, test: (record: AuditRecordModel) => boolean = () => true) => (record: AuditRecordModel) => record.operation === operation && test(record);

interface TrailRecord {
  id: string;
  traceId: string;
  operation: string;
  customerIds: string[];
  detail: Record<string, unknown> | null;
  fields: AuditedField[];
}

/** A list position as `*`, as a template names it; a template covers its own path and every path below it. */
function coveredBy(templates: readonly AuditedField[], field: AuditedField): boolean {
  const path = field.path.replace(/(^|\.)\d+(?=\.|$)/g, '$1*');
  return templates.some((template) => template.piiClass === field.piiClass && (path === template.path || path.startsWith(`${template.path}.`)));
}

describe('the audit write beside the fan-out', () => {
  const faults = new AuditFaults();
  const loyalty = new GatedLoyalty(testDemoData().loyalty);
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway(
      { C360_LOYALTY_URL: await loyalty.start(), C360_SOURCE_TIMEOUT_MS: '5000', C360_RATE_LIMIT_PER_MINUTE: '0', C360_BREAKER_THRESHOLD: '1000', C360_JWT_SECRET: TEST_JWT_SECRET },
      { decorateSources: faults.decorate },
    );
  });
  afterAll(async () => {
    await gw?.close();
    await loyalty.stop();
  });

  /** The customer's audit records of one response, through `auditTrail` (which answers after this instance's completions). */
  const trail = async (customerId: string, traceId: unknown): Promise<TrailRecord[]> => {
    const response = await graphql<{ auditTrail: { edges: Array<{ node: TrailRecord }> } }>(
      gw.url,
      'query($c: ID!) { auditTrail(customerId: $c, first: 100) { edges { node { id traceId operation customerIds detail fields { path piiClass decision reason } } } } }',
      { apiKey: 'c360_demo_admin', variables: { c: customerId } },
    );
    return response.body.data!.auditTrail.edges.map((edge) => edge.node).filter((node) => node.traceId === traceId);
  };
  /** The same, read from the store itself: what any other instance would see now. */
  const stored = async (customerId: string, traceId: unknown) =>
    (await dynamoSingleView(gw).getAuditTrail(customerId, 100)).records.filter((record) => record.traceId === traceId);

  it('starts the audit write before any source answered, and the trail then lists exactly what was released', async () => {
    const id = DEMO_CUSTOMERS.consent.id;
    const expected = expectedPii(id, { purpose: 'support' }, ['customer']);
    // The loyalty service holds its answer until the audit store has received this read's intent record:
    // a gateway that wrote the record only after its sources answered would wait for the backstop instead.
    loyalty.gate = faults.arrival(of('query Beside', (record) => isIntent(record) && record.customerIds.includes(id)));
    loyalty.answeredBy.length = 0;
    try {
      const response = await graphql(gw.url, FULL, { purpose: 'support', variables: { id } });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data).toEqual({ customer: expected.value });
      expect(loyalty.answeredBy).toEqual(['gate']);

      const traceId = response.body.extensions!.traceId;
      const intents = faults.received.flat().filter((record) => record.traceId === traceId && isIntent(record));
      expect(intents.map((record) => record.customerIds)).toEqual([[id]]);
      const records = await trail(id, traceId);
      // One record: the intent's own item, now the exact record of every released occurrence.
      expect(records.map(({ id: recordId, detail, customerIds, operation }) => ({ recordId, detail, customerIds, operation }))).toEqual([
        { recordId: intents[0]!.id, detail: null, customerIds: [id], operation: 'query Beside' },
      ]);
      expect(byPath(records[0]!.fields)).toEqual(byPath(expected.audited));
    } finally {
      loyalty.gate = undefined;
    }
  });

  it("sends the read's calls to the store before its intent record, which is written while the response is put together", async () => {
    const { audit, customers, events } = dynamoSingleView(gw).tables;
    const sent: string[] = [];
    changeMiddleware(dynamoSingleView(gw).client, (stack) =>
      stack.add(
        (next, context) => (args) => {
          const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown> };
          sent.push(`${context.commandName ?? '?'} ${input.TableName ?? Object.keys(input.RequestItems ?? {}).join(',')}`);
          return next(args);
        },
        { step: 'initialize', name: 'recordOrder' },
      ),
    );
    try {
      const id = testDemoData().customers[7]!.id;
      const response = await graphql(gw.url, FULL.replace('Beside', 'Order'), { purpose: 'support', variables: { id } });
      expect(response.body.errors).toBeUndefined();
      const traceId = response.body.extensions!.traceId;
      // The read did write an intent (the audit writer was idle), and its calls left first.
      expect(faults.received.flat().filter((record) => record.traceId === traceId && isIntent(record)).map((record) => record.customerIds)).toEqual([[id]]);
      const intentAt = sent.indexOf(`BatchWriteItemCommand ${audit}`);
      expect(intentAt).toBeGreaterThan(sent.findIndex((call) => call.startsWith(`BatchGetItemCommand ${customers}`)));
      expect(intentAt).toBeGreaterThan(sent.indexOf(`QueryCommand ${events}`));
      expect(sent.findIndex((call) => call.startsWith('BatchGetItemCommand'))).toBeGreaterThanOrEqual(0);
    } finally {
      changeMiddleware(dynamoSingleView(gw).client, (stack) => stack.remove('recordOrder'));
    }
  });

  it('lets the response leave before the exact record is written; meanwhile the stored intent covers every released occurrence', async () => {
    const id = testDemoData().customers[3]!.id;
    const expected = expectedPii(id, { purpose: 'support' }, ['customer']);
    let release!: () => void;
    faults.holdWhen = { test: of('query Held', (record) => !isIntent(record)), until: new Promise<void>((resolve) => (release = resolve)) };
    try {
      const response = await graphql(gw.url, FULL.replace('Beside', 'Held'), { purpose: 'support', variables: { id } });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data).toEqual({ customer: expected.value });
      const traceId = response.body.extensions!.traceId;
      // The exact record is still held back at the store, so the response did not wait for it.
      await faults.arrival((record) => record.traceId === traceId && !isIntent(record));
      const [intent, ...others] = await stored(id, traceId);
      expect(others).toEqual([]);
      expect(intent!.detail).toEqual({ stage: 'intent' });
      const templates = intent!.fields as AuditedField[];
      expect(templates.every((field) => !/\.\d+(\.|$)/.test(field.path))).toBe(true);
      expect(expected.audited.filter((field) => !coveredBy(templates, field))).toEqual([]);
      release();
      const records = await trail(id, traceId);
      expect(records.map((record) => record.detail)).toEqual([null]);
      expect(byPath(records[0]!.fields)).toEqual(byPath(expected.audited));
    } finally {
      release();
      faults.holdWhen = undefined;
    }
  });

  it('fails closed when the intent record cannot be written: every release is withheld (AUDIT_UNAVAILABLE), nothing stays on the trail', async () => {
    const id = DEMO_CUSTOMERS.consent.id;
    faults.failWhen = of('query IntentDown', isIntent);
    try {
      const response = await graphql(gw.url, 'query IntentDown($id: ID!) { customer(id: $id) { id profile { email } } }', { purpose: 'support', variables: { id } });
      expect(response.body).toEqual({
        errors: [
          {
            message: 'Personal field withheld: the release could not be recorded in the audit trail.',
            locations: [{ line: 1, column: 63 }],
            path: ['customer', 'profile', 'email'],
            extensions: { code: 'PII_ACCESS_DENIED', reason: 'AUDIT_UNAVAILABLE', piiClass: 'CONTACT' },
          },
        ],
        data: { customer: { id, profile: { email: null } } },
        extensions: { traceId: expect.any(String), privacy: { purpose: 'SUPPORT', fields: [{ path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'deny', reason: 'AUDIT_UNAVAILABLE' }] } },
      });
      // Only the intent was tried (by the guard, more than once): no other record of the read was written.
      expect(new Set(faults.writes.filter((write) => write.operations.includes('query IntentDown')).map((write) => write.failed))).toEqual(new Set([true]));
      expect(faults.received.flat().filter(of('query IntentDown', (record) => !isIntent(record)))).toEqual([]);
      expect(gw.logs.filter((line) => line.includes('audit write failed') && line.includes(String(response.body.extensions!.traceId)))).toHaveLength(1);
      expect(await trail(id, response.body.extensions!.traceId)).toEqual([]);
    } finally {
      faults.failWhen = undefined;
    }
  });

  it('fails closed when a release its intents do not cover cannot be recorded before the response leaves', async () => {
    // 26 customers: the read writes intents for the first 25 only, so the last one's releases wait for their exact record.
    const ids = testDemoData().customers.slice(40, 66).map((customer) => customer.id);
    faults.failWhen = of('query Uncovered', (record) => !isIntent(record));
    try {
      const response = await graphql<{ customers: Array<{ id: string; profile: unknown }> }>(gw.url, 'query Uncovered($ids: [ID!]!) { customers(ids: $ids) { id profile { email } } }', {
        purpose: 'support',
        variables: { ids },
      });
      expect(response.body.data!.customers).toEqual(ids.map((id) => ({ id, profile: { email: null } })));
      // Every item's e-mail is at the one `email` of the document.
      expect(byPath(response.body.errors)).toEqual(
        byPath(
          ids.map((_, i) => ({
            message: 'Personal field withheld: the release could not be recorded in the audit trail.',
            locations: [{ line: 1, column: 69 }],
            path: ['customers', i, 'profile', 'email'],
            extensions: { code: 'PII_ACCESS_DENIED', reason: 'AUDIT_UNAVAILABLE', piiClass: 'CONTACT' },
          })),
        ),
      );
      const traceId = response.body.extensions!.traceId;
      const intents = faults.received.flat().filter((record) => record.traceId === traceId && isIntent(record));
      expect(intents.map((record) => record.customerIds[0])).toEqual(ids.slice(0, 25));
      // Nothing was released, so the intents are taken back.
      for (const id of [ids[0]!, ids[24]!, ids[25]!]) expect(await trail(id, traceId)).toEqual([]);
    } finally {
      faults.failWhen = undefined;
    }
  });

  it('keeps the intent, a conservative record, when the exact record cannot be written after the response', async () => {
    const id = testDemoData().customers[5]!.id;
    const expected = expectedPii(id, { purpose: 'support' }, ['customer']);
    faults.failWhen = of('query Lost', (record) => !isIntent(record));
    try {
      const response = await graphql(gw.url, FULL.replace('Beside', 'Lost'), { purpose: 'support', variables: { id } });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data).toEqual({ customer: expected.value });
      const records = await trail(id, response.body.extensions!.traceId);
      expect(records.map((record) => record.detail)).toEqual([{ stage: 'intent' }]);
      expect(expected.audited.filter((field) => !coveredBy(records[0]!.fields, field))).toEqual([]);
      expect(gw.logs.filter((line) => line.includes('audit completion not written')).map((line) => JSON.parse(line).level)).toEqual(['warn']);
    } finally {
      faults.failWhen = undefined;
    }
  });

  it('me: reads the login\'s last holder beside the lookup, and a stale one leaves nothing on that customer\'s trail', async () => {
    const write = (query: string, variables: Record<string, unknown>) => graphql(gw.url, query, { apiKey: INGEST_KEY, variables });
    const created = await write('mutation($input: IdentifyInput!) { identify(input: $input) { customer { id } } }', {
      input: { identities: [{ type: 'USER_ID', value: 'beside-login' }, { type: 'DEVICE_ID', value: 'beside-device' }] },
    });
    const first = (created.body.data as { identify: { customer: { id: string } } }).identify.customer.id;
    const token = await signToken({ role: 'customer', sub: 'beside-login' });
    const me = () => graphql<{ me: { id: string; identities: Array<{ value: string }> } }>(gw.url, 'query Me { me { id identities { value } } }', { apiKey: null, headers: { authorization: `Bearer ${token}` } });
    expect((await me()).body.data!.me.id).toBe(first);
    // The login moves to a customer of its own: the process still remembers the first one as its holder.
    const split = await write('mutation($id: ID!, $identities: [IdentityInput!]!) { unmerge(customerId: $id, identities: $identities, reason: "beside") { splitCustomer { id } } }', {
      id: first,
      identities: [{ type: 'USER_ID', value: 'beside-login' }],
    });
    const second = (split.body.data as { unmerge: { splitCustomer: { id: string } } }).unmerge.splitCustomer.id;
    const response = await me();
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data!.me).toEqual({ id: second, identities: [{ value: 'beside-login' }] });
    const traceId = response.body.extensions!.traceId;
    // Both were read in the first round (the stale holder by the hint), so both got an intent.
    const intents = faults.received.flat().filter((record) => record.traceId === traceId && isIntent(record));
    expect(new Set(intents.map((record) => record.customerIds[0]))).toEqual(new Set([first, second]));
    expect(await trail(first, traceId)).toEqual([]);
    expect((await trail(second, traceId)).map((record) => [record.detail, record.fields.map((field) => field.path)])).toEqual([[null, expect.arrayContaining(['me.identities.0.value'])]]);
  });

  it('takes the intent back when nothing was released (no consent): the trail is as if it had never been written', async () => {
    const id = DEMO_CUSTOMERS.noConsent.id;
    const response = await graphql(gw.url, 'query NoConsent($id: ID!) { customer(id: $id) { profile { email } } }', { apiKey: 'c360_demo_marketing', purpose: 'marketing', variables: { id } });
    expect(response.body.errors?.map((error) => error.extensions?.reason)).toEqual(['CONSENT_NOT_GRANTED']);
    const traceId = response.body.extensions!.traceId;
    expect(faults.received.flat().filter((record) => record.traceId === traceId).map((record) => [record.detail?.stage, record.customerIds])).toEqual([['intent', [id]]]);
    expect(await trail(id, traceId)).toEqual([]);
  });
});
