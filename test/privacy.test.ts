import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { demoCustomer, testDemoData } from './support/demo.js';
import { graphql } from './support/gateway.js';
import { startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { PII_SELECTION, PURPOSE_NAMES, byPath, consentOf, customersByConsent, expectedPii, hashes, masks, sorted } from './support/privacy.js';
import type { PurposeName } from './support/privacy.js';
import { writeConsent } from './support/store.js';

let gw: TestGateway;
beforeAll(async () => {
  // Generous source deadlines: these tests are about privacy, not timeouts, and share 2 cores with others.
  gw = await startTestGateway({ C360_SOURCE_TIMEOUT_MS: '5000' });
});
afterAll(() => gw?.close());

const TRACE_ID = expect.stringMatching(/^[0-9a-f]{32}$/);

/** The field lists of a customer's audit records of one response (one record unless it was split in parts). */
async function auditedFields(customerId: string, traceId: unknown): Promise<unknown[][]> {
  const trail = await graphql<{ auditTrail: { edges: Array<{ node: { traceId: string; customerIds: string[]; fields: Array<{ path: string }> } }> } }>(
    gw.url,
    'query($c: ID!) { auditTrail(customerId: $c, first: 20) { edges { node { traceId customerIds fields { path piiClass decision reason } } } } }',
    { apiKey: 'c360_demo_admin', variables: { c: customerId } },
  );
  const records = trail.body.data!.auditTrail.edges.map((edge) => edge.node).filter((node) => node.traceId === traceId);
  for (const record of records) expect(record.customerIds).toEqual([customerId]);
  return records.map((record) => byPath(record.fields));
}

/** One customer per consent state for each consent-bound purpose, plus the two documented ones. */
const MATRIX_CUSTOMERS = [
  ...new Set([
    DEMO_CUSTOMERS.consent.id,
    DEMO_CUSTOMERS.noConsent.id,
    ...(['marketing', 'personalization', 'analytics'] as const).flatMap((purpose) => Object.values(customersByConsent(purpose))),
  ]),
];

describe('purpose × PII class × consent, over HTTP', () => {
  it('covers both consent states for every consent-bound purpose', () => {
    for (const purpose of ['marketing', 'personalization', 'analytics'] as const) {
      const states = MATRIX_CUSTOMERS.map((id) => consentOf(demoCustomer(id).customer, purpose) === 'GRANTED');
      expect({ purpose, granted: states.includes(true), denied: states.includes(false) }).toEqual({ purpose, granted: true, denied: true });
    }
  });

  for (const purpose of [...PURPOSE_NAMES, null] as Array<PurposeName | null>) {
    it(`releases, masks, hashes or withholds each class for purpose ${purpose ?? '(none)'}, and audits each release on its customer's trail`, async () => {
      const query = `query Matrix($ids: [ID!]!) { customers(ids: $ids) { ${PII_SELECTION} } }`;
      const response = await graphql(gw.url, query, {
        apiKey: 'c360_demo_admin', // every scope and purpose: only policy and consent decide
        ...(purpose ? { purpose } : {}),
        variables: { ids: MATRIX_CUSTOMERS },
      });
      const expected = MATRIX_CUSTOMERS.map((id, i) => expectedPii(id, { purpose }, ['customers', i]));
      const errors = byPath(expected.flatMap((e) => e.errors));
      expect(response.status).toBe(200);
      expect(sorted(response.body)).toEqual({
        ...(errors.length > 0 ? { errors } : {}),
        data: { customers: expected.map((e) => e.value) },
        // Answers name the purpose as the schema's enum does, whatever case the header used.
        extensions: { traceId: TRACE_ID, privacy: { purpose: purpose?.toUpperCase() ?? null, fields: byPath(expected.flatMap((e) => e.fields)) } },
      });

      const traceId = response.body.extensions!.traceId;
      for (const [i, id] of MATRIX_CUSTOMERS.entries()) {
        const audited = expected[i]!.audited;
        expect({ id, records: await auditedFields(id, traceId) }).toEqual({ id, records: audited.length > 0 ? [byPath(audited)] : [] });
      }
    });
  }
});

describe('masking and hashing output', () => {
  const { customer, crm, loyalty } = demoCustomer(DEMO_CUSTOMERS.consent.id);
  const query = `query($id: ID!) { customer(id: $id) { profile { firstName email phone birthDate address { line1 city postalCode country } } crm { crmId } loyalty { memberId } } }`;
  const read = async (apiKey: string, purpose: string) => (await graphql(gw.url, query, { apiKey, purpose, variables: { id: customer.id } })).body;

  it('masks contact and location data for personalization', async () => {
    const body = await read('c360_demo_marketing', 'personalization');
    expect(body.data).toEqual({
      customer: {
        profile: {
          firstName: masks.text(customer.profile.firstName!),
          email: 'd***@e***.com', // demo.customer@example.com, as docs/privacy.md shows it
          phone: `+*******${customer.profile.phone!.slice(-4)}`,
          birthDate: null, // DEMOGRAPHIC is denied for personalization
          address: {
            line1: `${customer.profile.address!.line1![0]}***`,
            city: `${customer.profile.address!.city![0]}***`,
            postalCode: `${customer.profile.address!.postalCode!.slice(0, 3)}**`,
            country: customer.profile.address!.country,
          },
        },
        crm: { crmId: hashes.text(crm!.crmId) },
        // A loyalty account is FINANCIAL, which personalization is not given: withheld as a whole.
        loyalty: null,
      },
    });
    const analytics = await read('c360_demo_analytics', 'analytics');
    expect((analytics.data as { customer: { loyalty: unknown } }).customer.loyalty).toEqual({ memberId: hashes.text(loyalty!.memberId) });
  });

  it('keeps the year of a masked date and hashes contact data for analytics', async () => {
    const marketing = await read('c360_demo_marketing', 'marketing');
    expect((marketing.data as { customer: { profile: { birthDate: string } } }).customer.profile.birthDate).toBe(`${customer.profile.birthDate!.slice(0, 4)}-**-**`);
    const analytics = await read('c360_demo_analytics', 'analytics');
    expect((analytics.data as { customer: { profile: unknown } }).customer.profile).toEqual({
      firstName: hashes.text(customer.profile.firstName!),
      email: hashes.email('  Demo.Customer@EXAMPLE.com '), // the same digest whatever the case and spacing
      phone: hashes.text(customer.profile.phone!),
      birthDate: null,
      address: masks.address(customer.profile.address!),
    });
  });
});

describe('purpose header', () => {
  const query = `query($id: ID!) { customer(id: $id) { id traits { orderCount lifetimeValue } profile { email } segments { segment { name } } } }`;
  const id = DEMO_CUSTOMERS.consent.id;

  it('withholds every personal field when no purpose is stated, and answers only the id', async () => {
    const response = await graphql(gw.url, query, { variables: { id } });
    const withheld = (path: Array<string | number>, piiClass: string) => ({
      message: 'Personal field withheld: state a purpose in the x-c360-purpose header.',
      locations: expect.any(Array),
      path,
      extensions: { code: 'PII_ACCESS_DENIED', reason: 'PURPOSE_REQUIRED', piiClass },
    });
    expect({ status: response.status, body: sorted(response.body) }).toEqual({
      status: 200,
      body: {
        errors: [withheld(['customer', 'profile', 'email'], 'CONTACT'), withheld(['customer', 'segments'], 'BEHAVIORAL'), withheld(['customer', 'traits'], 'BEHAVIORAL')],
        data: { customer: { id, traits: null, profile: { email: null }, segments: null } },
        extensions: {
          traceId: TRACE_ID,
          privacy: {
            purpose: null,
            fields: [
              { path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'deny', reason: 'PURPOSE_REQUIRED' },
              { path: 'customer.segments', piiClass: 'BEHAVIORAL', decision: 'deny', reason: 'PURPOSE_REQUIRED' },
              { path: 'customer.traits', piiClass: 'BEHAVIORAL', decision: 'deny', reason: 'PURPOSE_REQUIRED' },
            ],
          },
        },
      },
    });
    // A withheld part (traits, segments) is answered null by its resolver, not thrown; its error still says where the field is.
    const at = (field: string) => [{ line: 1, column: query.indexOf(field) + 1 }];
    const errors = (response.body.errors ?? []) as ReadonlyArray<{ path?: Array<string | number>; locations?: unknown }>;
    expect(errors.map((error) => [error.path?.at(-1), error.locations])).toEqual(
      expect.arrayContaining([
        ['email', at('email')],
        ['segments', at('segments')],
        ['traits', at('traits')],
      ]),
    );
  });

  it('leaves extensions.privacy out of a response that touched no personal field', async () => {
    const response = await graphql(gw.url, '{ segments { id } }', { purpose: 'support' });
    expect(response.body.extensions).toEqual({ traceId: TRACE_ID });
  });

  it.each(['support', 'SUPPORT', 'Support'])('takes the purpose header %s in any case, and every answer names it upper case, as the schema does', async (header) => {
    const response = await graphql(gw.url, `query($id: ID!) { viewer { purposes } customer(id: $id) { consents { purpose } profile { email } } }`, {
      purpose: header,
      variables: { id },
    });
    const { customer } = demoCustomer(id);
    expect(response.body).toEqual({
      data: { viewer: { purposes: ['SUPPORT', 'FRAUD'] }, customer: { consents: customer.consents.map((c) => ({ purpose: c.purpose })), profile: { email: customer.profile.email } } },
      extensions: { traceId: TRACE_ID, privacy: { purpose: 'SUPPORT', fields: [] } },
    });
  });

  it.each([
    ['a purpose the key does not have', 'c360_demo_marketing', 'support', 403, 'PURPOSE_NOT_ALLOWED', 'Purpose SUPPORT is not allowed for this principal (allowed: MARKETING, PERSONALIZATION).'],
    ['any purpose for a key with none', 'c360_demo_ingest', 'marketing', 403, 'PURPOSE_NOT_ALLOWED', 'Purpose MARKETING is not allowed for this principal (this principal may not read personal data).'],
    ['an unknown purpose', 'c360_demo_support', 'curiosity', 400, 'BAD_USER_INPUT', expect.stringContaining('Unknown purpose in x-c360-purpose')],
  ])('refuses the whole request for %s', async (_case, apiKey, purpose, status, code, message) => {
    const response = await graphql(gw.url, query, { apiKey, purpose, variables: { id } });
    expect({ status: response.status, body: response.body }).toEqual({
      status,
      body: { errors: [{ message, extensions: code === 'BAD_USER_INPUT' ? { code, field: 'x-c360-purpose' } : { code } }] },
    });
  });
});

describe('consent', () => {
  const query = `query($id: ID!) { customer(id: $id) { profile { email } } }`;

  it('takes a withdrawn consent into account on the next request, and a renewed one too', async () => {
    // A customer no other test here reads, who granted marketing.
    const customer = testDemoData().customers.find((c) => !MATRIX_CUSTOMERS.includes(c.id) && consentOf(c, 'marketing') === 'GRANTED')!;
    const read = () => graphql(gw.url, query, { apiKey: 'c360_demo_marketing', purpose: 'marketing', variables: { id: customer.id } });

    expect((await read()).body.data).toEqual({ customer: { profile: { email: customer.profile.email } } });

    await writeConsent(gw, customer.id, 'MARKETING', 'DENIED');
    const withdrawn = await read();
    expect(withdrawn.body).toEqual({
      errors: [
        {
          message: 'Personal field withheld: the customer has not granted consent for MARKETING.',
          locations: expect.any(Array),
          path: ['customer', 'profile', 'email'],
          extensions: { code: 'PII_ACCESS_DENIED', reason: 'CONSENT_NOT_GRANTED', piiClass: 'CONTACT' },
        },
      ],
      data: { customer: { profile: { email: null } } },
      extensions: {
        traceId: TRACE_ID,
        privacy: { purpose: 'MARKETING', fields: [{ path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'deny', reason: 'CONSENT_NOT_GRANTED' }] },
      },
    });

    await writeConsent(gw, customer.id, 'MARKETING', 'GRANTED');
    expect((await read()).body.data).toEqual({ customer: { profile: { email: customer.profile.email } } });
  });

  it('counts consent per purpose: a marketing grant does not open personalization', async () => {
    const customer = testDemoData().customers.find((c) => consentOf(c, 'marketing') === 'GRANTED' && consentOf(c, 'personalization') === 'DENIED')!;
    const asked = (purpose: string) => graphql(gw.url, query, { apiKey: 'c360_demo_marketing', purpose, variables: { id: customer.id } });
    expect((await asked('marketing')).body.data).toEqual({ customer: { profile: { email: customer.profile.email } } });
    expect((await asked('personalization')).body.errors?.map((e) => e.extensions?.reason)).toEqual(['CONSENT_NOT_GRANTED']);
  });
});

describe('a marketing partner (done means)', () => {
  it('sees contact fields only for customers who granted marketing, with a reason for each withheld one, and each release is audited', async () => {
    const ids = [DEMO_CUSTOMERS.consent.id, DEMO_CUSTOMERS.noConsent.id];
    const query = `query Audience($ids: [ID!]!) { customers(ids: $ids) { id profile { firstName lastName email phone } } }`;
    const response = await graphql(gw.url, query, { apiKey: 'c360_demo_marketing', purpose: 'marketing', variables: { ids } });
    const granted = demoCustomer(ids[0]!).customer.profile;
    const withheld = ['firstName', 'lastName', 'email', 'phone'].map((field) => ({
      message: 'Personal field withheld: the customer has not granted consent for MARKETING.',
      locations: expect.any(Array),
      path: ['customers', 1, 'profile', field],
      extensions: { code: 'PII_ACCESS_DENIED', reason: 'CONSENT_NOT_GRANTED', piiClass: 'CONTACT' },
    }));
    expect({ status: response.status, body: sorted(response.body) }).toEqual({
      status: 200,
      body: {
        errors: byPath(withheld),
        data: {
          customers: [
            { id: ids[0], profile: { firstName: granted.firstName, lastName: granted.lastName, email: granted.email, phone: granted.phone } },
            { id: ids[1], profile: { firstName: null, lastName: null, email: null, phone: null } },
          ],
        },
        extensions: {
          traceId: TRACE_ID,
          privacy: {
            purpose: 'MARKETING',
            fields: byPath(withheld.map((e) => ({ path: e.path.join('.'), piiClass: 'CONTACT', decision: 'deny', reason: 'CONSENT_NOT_GRANTED' }))),
          },
        },
      },
    });

    const traceId = response.body.extensions!.traceId;
    const trail = async (customerId: string) => {
      const audit = await graphql<{ auditTrail: { edges: Array<{ node: { traceId: string } }> } }>(
        gw.url,
        `query($c: ID!) { auditTrail(customerId: $c, first: 100) { edges { node { principal purpose operation customerIds traceId fields { path piiClass decision reason } } } } }`,
        { apiKey: 'c360_demo_admin', variables: { c: customerId } },
      );
      return audit.body.data!.auditTrail.edges.map((edge) => edge.node).filter((node) => node.traceId === traceId);
    };
    expect(await trail(ids[0]!)).toEqual([
      {
        principal: 'key:demo_marketing',
        purpose: 'MARKETING',
        operation: 'query Audience',
        customerIds: [ids[0]],
        traceId,
        fields: ['email', 'firstName', 'lastName', 'phone'].map((field) => ({ path: `customers.0.profile.${field}`, piiClass: 'CONTACT', decision: 'allow', reason: null })),
      },
    ]);
    expect(await trail(ids[1]!)).toEqual([]);
  });
});
