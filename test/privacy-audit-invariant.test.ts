import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { mulberry32 } from '../src/matching/random.js';
import { graphql, startTestGateway } from './support/gateway.js';
import { customerType, expectedReleases, randomCustomerSelection, valueAt } from './support/randomDocuments.js';
import type { TestGateway } from './support/gateway.js';
import { TEST_JWT_SECRET, loginOf, signToken } from './support/tokens.js';
import { ADMIN_KEY } from './support/writes.js';

/**
 * The privacy promise as an invariant, checked on documents made at random
 * (seeded, so a failure repeats): whatever a caller selects, with aliases,
 * fragments, inline fragments and fields selected twice, through `customer`,
 * `customers(ids:)`, `customerByIdentity` and `me`, under any purpose,
 *
 * - every personal field the answer carries (a value, a part of the
 *   customer, an event property) is in that read's audit records, at its
 *   response path, with its class, and the records list nothing the answer
 *   does not carry;
 * - a field withheld with PII_ACCESS_DENIED is null in the answer;
 * - the gateway's own owner tag never reaches the answer.
 *
 * The oracle is the schema's own classification (`@pii`), read here
 * independently of how the gateway applies it. Real gateway, real HTTP.
 */
const CALLERS = [
  { apiKey: 'c360_demo_support', purpose: 'support' },
  { apiKey: 'c360_demo_marketing', purpose: 'marketing' },
  { apiKey: 'c360_demo_analytics', purpose: 'analytics' },
] as const;

describe('privacy invariant: every personal field answered is audited at its path, and nothing else is', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_DEMO_CUSTOMERS: '20', C360_RATE_LIMIT_PER_MINUTE: '0', C360_JWT_SECRET: TEST_JWT_SECRET });
  });
  afterAll(() => gw?.close());

  const trailOf = async (customerId: string, traceId: string) => {
    const trail = await graphql<{ auditTrail: { edges: Array<{ node: { traceId: string; fields: Array<{ path: string; piiClass: string; decision: string }> } }> } }>(
      gw.url,
      'query($c: ID!) { auditTrail(customerId: $c, first: 50) { edges { node { traceId fields { path piiClass decision } } } } }',
      { apiKey: ADMIN_KEY, variables: { c: customerId } },
    );
    expect(trail.body.errors).toBeUndefined();
    return trail.body.data!.auditTrail.edges.map((edge) => edge.node).filter((node) => node.traceId === traceId);
  };

  it.each([1, 2, 3, 4, 5, 6])('holds for 12 random documents of seed %i, under support, marketing, analytics and self_service', async (seed) => {
    const random = mulberry32(seed);
    let refused = 0;
    let audited = 0;
    for (let n = 0; n < 12; n++) {
      const { selected, body, fragments } = randomCustomerSelection(random);
      const roll = random();
      const root = roll < 0.3 ? 'customers' : roll < 0.45 ? 'customerByIdentity' : roll < 0.6 ? 'me' : 'customer';
      const batch = root === 'customers';
      const one = random() < 0.5 ? DEMO_CUSTOMERS.consent : DEMO_CUSTOMERS.noConsent;
      const ids = batch ? [DEMO_CUSTOMERS.consent.id, DEMO_CUSTOMERS.noConsent.id, 'cus_000003'] : [one.id];
      const queries = {
        customers: [`query Probe($ids: [ID!]!) { customers(ids: $ids) { ${body} } }`, { ids }],
        customerByIdentity: [`query Probe($email: String!) { customerByIdentity(type: EMAIL, value: $email) { ${body} } }`, { email: one.email }],
        me: [`query Probe { me { ${body} } }`, {}],
        customer: [`query Probe($id: ID!) { customer(id: $id) { ${body} } }`, { id: one.id }],
      } as const;
      const [operation, variables] = queries[root];
      const query = `${operation} ${fragments.join(' ')}`;
      // `me` is the signed-in customer's own record (purpose self_service); the others are a key's, for its purpose.
      const caller =
        root === 'me'
          ? { apiKey: null, purpose: 'self_service', headers: { authorization: `Bearer ${await signToken({ sub: loginOf(one.id), role: 'customer' })}` } }
          : CALLERS[Math.floor(random() * CALLERS.length)]!;
      const response = await graphql<Record<string, unknown>>(gw.url, query, { ...caller, variables });
      const context = { seed, n, purpose: caller.purpose, query };
      expect(JSON.stringify(response.body), JSON.stringify(context)).not.toContain('_c360Owner');
      if (response.status === 400) {
        // Over an operation limit (aliases, cost): refused whole, before anything is read, so nothing to audit.
        expect({ ...context, data: response.body.data, codes: response.body.errors?.map((error) => error.extensions?.code) }).toEqual({ ...context, data: undefined, codes: ['QUERY_TOO_COMPLEX'] });
        for (const id of ids) expect({ ...context, id, records: await trailOf(id, response.body.extensions!.traceId as string) }).toEqual({ ...context, id, records: [] });
        refused++;
        continue;
      }
      expect({ ...context, status: response.status }).toEqual({ ...context, status: 200 });

      for (const error of response.body.errors ?? []) {
        if (error.extensions?.code !== 'PII_ACCESS_DENIED') continue;
        expect({ ...context, path: error.path, value: valueAt(response.body.data, error.path ?? []) }).toEqual({ ...context, path: error.path, value: null });
      }

      const answered = response.body.data?.[root];
      const customers = (batch ? (answered as unknown[]) : [answered]).map((customer, i) => ({ customer, path: batch ? `${root}.${i}` : root }));
      const expected = new Map<string, string | null>();
      for (const { customer, path } of customers) expectedReleases(customer, customerType, selected, path, expected);

      const recorded = new Map<string, string>();
      const owners = customers.map(({ customer }) => (customer as { id?: string } | null)?.id).filter((id): id is string => typeof id === 'string');
      for (const owner of new Set(owners)) {
        for (const record of await trailOf(owner, response.body.extensions!.traceId as string)) {
          for (const field of record.fields) {
            expect({ ...context, path: field.path, decision: ['allow', 'mask', 'hash'].includes(field.decision) }).toEqual({ ...context, path: field.path, decision: true });
            recorded.set(field.path, field.piiClass);
          }
        }
      }
      expect({ ...context, paths: [...recorded.keys()].sort() }).toEqual({ ...context, paths: [...expected.keys()].sort() });
      audited += expected.size;
      for (const [path, piiClass] of expected) if (piiClass !== null) expect({ ...context, path, piiClass: recorded.get(path) }).toEqual({ ...context, path, piiClass });
    }
    // Most documents are answered, so the invariant is checked on answers, not on refusals.
    expect(refused).toBeLessThanOrEqual(4);
    expect(audited).toBeGreaterThan(100);
  });
});
