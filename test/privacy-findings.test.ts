import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApiKey } from '../src/auth/apiKeys.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { DEMO_KEY_FILE, pseudonymKey } from '../src/privacy/pseudonym.js';
import { demoCustomer } from './support/demo.js';
import { TEST_PSEUDONYM_KEY, graphql, startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { byPath, hashes, pseudonym, sorted } from './support/privacy.js';
import { ADMIN_KEY, INGEST_KEY, identify, track } from './support/writes.js';

/**
 * The probes of issue 14, replayed over HTTP as an attacker would send them
 * with the demo keys, each answered the way docs/privacy.md and
 * docs/security.md now say. Each test fails if its finding comes back.
 */
const TRACE_ID = expect.stringMatching(/^[0-9a-f]{32}$/);
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ C360_SOURCE_TIMEOUT_MS: '5000', C360_DEMO_CUSTOMERS: '20', C360_RATE_LIMIT_PER_MINUTE: '0' });
});
afterAll(() => gw?.close());

const forbidden = (path: Array<string | number>, scope = 'customer:read') => ({
  message: `${path.at(-1)} needs the scope ${scope}.`,
  locations: expect.any(Array),
  path,
  extensions: { code: 'FORBIDDEN', scope },
});

const MESSAGES: Record<string, string> = {
  CONSENT_NOT_GRANTED: 'Personal field withheld: the customer has not granted consent for MARKETING.',
  POLICY_DENIES: 'Personal field withheld: the policy does not release FINANCIAL data for purpose MARKETING.',
  PURPOSE_REQUIRED: 'Personal field withheld: state a purpose in the x-c360-purpose header.',
};

/** A withheld field: its error and its `extensions.privacy` entry. */
function withheld(path: Array<string | number>, piiClass: string, reason: string) {
  return {
    error: { message: MESSAGES[reason] ?? expect.any(String), locations: expect.any(Array), path, extensions: { code: 'PII_ACCESS_DENIED', reason, piiClass } },
    field: { path: path.join('.'), piiClass, decision: 'deny', reason },
  };
}

describe('finding 1: a write key reads customers through a write', () => {
  it('identify answers the ingest key the customer id it touched, and FORBIDDEN for every customer field', async () => {
    const response = await graphql(
      gw.url,
      `mutation Probe($input: IdentifyInput!) { identify(input: $input) {
        customer { id loyalty { tier pointsBalance } loyaltyAccounts { tier } crm { accountManager openCases { subject } } crmRecords { accountManager openCases { subject } }
          traits { orderCount lastSeenAt } identities { type source } }
        merged } }`,
      { apiKey: INGEST_KEY, variables: { input: { identities: [{ type: 'EMAIL', value: DEMO_CUSTOMERS.noConsent.email }] } } },
    );
    const at = (field: string) => ['identify', 'customer', field];
    expect({ status: response.status, body: sorted(response.body) }).toEqual({
      status: 200,
      body: {
        errors: byPath(['loyalty', 'loyaltyAccounts', 'crm', 'crmRecords', 'traits', 'identities'].map((field) => forbidden(at(field)))),
        data: {
          identify: {
            customer: { id: DEMO_CUSTOMERS.noConsent.id, loyalty: null, loyaltyAccounts: null, crm: null, crmRecords: null, traits: null, identities: null },
            merged: [],
          },
        },
        extensions: { traceId: TRACE_ID },
      },
    });
  });

  it('unmerge answers both customer ids and the duplicate flag, and FORBIDDEN for the rest', async () => {
    const person = await identify(gw.url, [
      { type: 'USER_ID', value: 'probe-unmerge-1' },
      { type: 'EMAIL', value: 'probe.unmerge@example.org' },
    ]);
    const response = await graphql(
      gw.url,
      `mutation Probe($id: ID!, $identities: [IdentityInput!]!) { unmerge(customerId: $id, identities: $identities, reason: "probe") {
        customer { id profile { email } loyalty { tier } } splitCustomer { id traits { orderCount } identities { type } } duplicate } }`,
      { apiKey: INGEST_KEY, variables: { id: person.customer.id, identities: [{ type: 'EMAIL', value: 'probe.unmerge@example.org' }] } },
    );
    const split = (response.body.data as { unmerge: { splitCustomer: { id: string } } } | undefined)?.unmerge.splitCustomer.id;
    expect({ status: response.status, body: sorted(response.body) }).toEqual({
      status: 200,
      body: {
        errors: byPath([
          forbidden(['unmerge', 'customer', 'profile']),
          forbidden(['unmerge', 'customer', 'loyalty']),
          forbidden(['unmerge', 'splitCustomer', 'traits']),
          forbidden(['unmerge', 'splitCustomer', 'identities']),
        ]),
        data: { unmerge: { customer: { id: person.customer.id, profile: null, loyalty: null }, splitCustomer: { id: split, traits: null, identities: null }, duplicate: false } },
        extensions: { traceId: TRACE_ID },
      },
    });
    expect(split).toMatch(/^cus_/);
  });

  it('setConsent echoes the decision it recorded to a key without consent:read: the write\'s own outcome', async () => {
    const response = await graphql(
      gw.url,
      'mutation { setConsent(input: { customerId: "cus_000003", purpose: ANALYTICS, status: GRANTED, source: "probe" }) { purpose status source } }',
      { apiKey: INGEST_KEY },
    );
    expect(response.body).toEqual({ data: { setConsent: { purpose: 'ANALYTICS', status: 'GRANTED', source: 'probe' } }, extensions: { traceId: TRACE_ID } });
  });
});

describe('finding 2: consent covered only the fields marked personal', () => {
  const PROBE = `query Probe($id: ID!) { customer(id: $id) {
    id createdAt
    loyalty { tier pointsBalance }
    loyaltyAccounts { tier pointsBalance }
    segments { segment { name } since }
    traits { orderCount firstSeenAt lastSeenAt }
    crm { accountManager openCases { subject } }
    crmRecords { accountManager openCases { subject } }
    consents { purpose status }
    consentHistory { purpose status source at }
    identities { type source firstSeenAt }
  } }`;

  it('gives the marketing key nothing about a customer who refused marketing but the id, every withholding listed', async () => {
    const response = await graphql(gw.url, PROBE, { apiKey: 'c360_demo_marketing', purpose: 'marketing', variables: { id: DEMO_CUSTOMERS.noConsent.id } });
    const denied = [
      withheld(['customer', 'createdAt'], 'BEHAVIORAL', 'CONSENT_NOT_GRANTED'),
      // Marketing is never given FINANCIAL data: the policy decides before consent does.
      withheld(['customer', 'loyalty'], 'FINANCIAL', 'POLICY_DENIES'),
      withheld(['customer', 'loyaltyAccounts'], 'FINANCIAL', 'POLICY_DENIES'),
      withheld(['customer', 'segments'], 'BEHAVIORAL', 'CONSENT_NOT_GRANTED'),
      withheld(['customer', 'traits'], 'BEHAVIORAL', 'CONSENT_NOT_GRANTED'),
      withheld(['customer', 'crm'], 'BEHAVIORAL', 'CONSENT_NOT_GRANTED'),
      withheld(['customer', 'crmRecords'], 'BEHAVIORAL', 'CONSENT_NOT_GRANTED'),
      withheld(['customer', 'consents'], 'BEHAVIORAL', 'CONSENT_NOT_GRANTED'),
      withheld(['customer', 'consentHistory'], 'BEHAVIORAL', 'CONSENT_NOT_GRANTED'),
      withheld(['customer', 'identities'], 'IDENTIFIER', 'CONSENT_NOT_GRANTED'),
    ];
    expect({ status: response.status, body: sorted(response.body) }).toEqual({
      status: 200,
      body: {
        errors: byPath(denied.map((d) => d.error)),
        data: {
          customer: {
            id: DEMO_CUSTOMERS.noConsent.id,
            createdAt: null,
            loyalty: null,
            loyaltyAccounts: null,
            segments: null,
            traits: null,
            crm: null,
            crmRecords: null,
            consents: null,
            consentHistory: null,
            identities: null,
          },
        },
        extensions: { traceId: TRACE_ID, privacy: { purpose: 'MARKETING', fields: byPath(denied.map((d) => d.field)) } },
      },
    });
  });

  it('decides aliases, fragments, nested lists and every customer of customers(ids:) alike', async () => {
    const response = await graphql(
      gw.url,
      `query Probe($ids: [ID!]!) { batch: customers(ids: $ids) { ...Parts ... on Customer { c: crm { cases: openCases { s: subject } } } } }
       fragment Parts on Customer { pts: loyalty { t: tier } seg: segments { since } }`,
      { apiKey: 'c360_demo_marketing', purpose: 'marketing', variables: { ids: [DEMO_CUSTOMERS.noConsent.id, DEMO_CUSTOMERS.noConsent.id] } },
    );
    const denied = [0, 1].flatMap((i) => [
      withheld(['batch', i, 'pts'], 'FINANCIAL', 'POLICY_DENIES'),
      withheld(['batch', i, 'seg'], 'BEHAVIORAL', 'CONSENT_NOT_GRANTED'),
      withheld(['batch', i, 'c'], 'BEHAVIORAL', 'CONSENT_NOT_GRANTED'),
    ]);
    expect(sorted(response.body)).toEqual({
      errors: byPath(denied.map((d) => d.error)),
      data: { batch: [0, 1].map(() => ({ pts: null, seg: null, c: null })) },
      extensions: { traceId: TRACE_ID, privacy: { purpose: 'MARKETING', fields: byPath(denied.map((d) => d.field)) } },
    });
  });

  it('withholds the event timeline for marketing too, even from a key that may read events', async () => {
    const response = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { id events(first: 5) { edges { node { type occurredAt } } } } }', {
      apiKey: ADMIN_KEY,
      purpose: 'marketing',
      variables: { id: DEMO_CUSTOMERS.noConsent.id },
    });
    const denied = withheld(['customer', 'events'], 'BEHAVIORAL', 'CONSENT_NOT_GRANTED');
    expect(response.body).toEqual({
      errors: [denied.error],
      data: { customer: { id: DEMO_CUSTOMERS.noConsent.id, events: null } },
      extensions: { traceId: TRACE_ID, privacy: { purpose: 'MARKETING', fields: [denied.field] } },
    });
  });

  it('withholds CRM case subjects and memberships when no purpose is stated, in crm and crmRecords alike', async () => {
    const response = await graphql(
      gw.url,
      'query($id: ID!) { customer(id: $id) { id crm { openCases { subject } } crmRecords { openCases { subject } } loyaltyAccounts { tier } } }',
      { variables: { id: DEMO_CUSTOMERS.consent.id } },
    );
    const denied = [
      withheld(['customer', 'crm'], 'BEHAVIORAL', 'PURPOSE_REQUIRED'),
      withheld(['customer', 'crmRecords'], 'BEHAVIORAL', 'PURPOSE_REQUIRED'),
      withheld(['customer', 'loyaltyAccounts'], 'FINANCIAL', 'PURPOSE_REQUIRED'),
    ];
    expect(sorted(response.body)).toEqual({
      errors: byPath(denied.map((d) => d.error)),
      data: { customer: { id: DEMO_CUSTOMERS.consent.id, crm: null, crmRecords: null, loyaltyAccounts: null } },
      extensions: { traceId: TRACE_ID, privacy: { purpose: null, fields: byPath(denied.map((d) => d.field)) } },
    });
  });

  it('audits the newly personal fields it releases, each with its class', async () => {
    const id = DEMO_CUSTOMERS.consent.id;
    const { customer } = demoCustomer(id);
    const response = await graphql(gw.url, 'query Segments($id: ID!) { customer(id: $id) { traits { orderCount } segments { since } } }', {
      apiKey: 'c360_demo_marketing',
      purpose: 'marketing',
      variables: { id },
    });
    expect(response.body.errors).toBeUndefined();
    const trail = await graphql<{ auditTrail: { edges: Array<{ node: { traceId: string; customerIds: string[]; fields: unknown[] } }> } }>(
      gw.url,
      'query($c: ID!) { auditTrail(customerId: $c, first: 50) { edges { node { traceId customerIds fields { path piiClass decision reason } } } } }',
      { apiKey: ADMIN_KEY, variables: { c: id } },
    );
    const records = trail.body.data!.auditTrail.edges.map((edge) => edge.node).filter((node) => node.traceId === response.body.extensions!.traceId);
    const allow = (path: string, piiClass: string) => ({ path, piiClass, decision: 'allow', reason: null });
    expect(records).toEqual([
      {
        traceId: response.body.extensions!.traceId,
        customerIds: [id],
        fields: [
          allow('customer.segments', 'BEHAVIORAL'),
          ...customer.segments.map((_m, i) => allow(`customer.segments.${i}.since`, 'BEHAVIORAL')),
          allow('customer.traits', 'BEHAVIORAL'),
          allow('customer.traits.orderCount', 'BEHAVIORAL'),
        ],
      },
    ]);
  });
});

describe('finding 3: hashes could be reversed', () => {
  const query = 'query($id: ID!) { customer(id: $id) { profile { email phone } crm { crmId } } }';
  const id = DEMO_CUSTOMERS.consent.id;
  const { customer, crm } = demoCustomer(id);

  it('answers keyed pseudonyms, not SHA-256 of the value', async () => {
    const response = await graphql<{ customer: { profile: { email: string; phone: string }; crm: { crmId: string } } }>(gw.url, query, {
      apiKey: 'c360_demo_analytics',
      purpose: 'analytics',
      variables: { id },
    });
    const answer = response.body.data!.customer;
    expect(answer).toEqual({
      profile: { email: pseudonym(customer.profile.email!), phone: pseudonym(customer.profile.phone!) },
      crm: { crmId: pseudonym(crm!.crmId) },
    });
    // What the finding recovered the values with: an unsalted digest of the value, or of a guess.
    for (const [hash, value] of [
      [answer.profile.email, customer.profile.email!],
      [answer.profile.phone, customer.profile.phone!],
      [answer.crm.crmId, crm!.crmId],
    ]) {
      expect(hash).not.toBe(sha256(value!));
    }
  });

  it('gives a principal-scoped key pseudonyms of its own, which match neither the shared ones nor another partner\'s', async () => {
    const store = gw.gateway.services.sources.singleView;
    const partner = (name: string) => {
      const minted = mintApiKey({ clientName: name, scopes: ['customer:read'], purposes: ['ANALYTICS'], pseudonymScope: 'principal' });
      return { key: minted.key, put: store.putApiKey(minted.record) };
    };
    const a = partner('Partner A');
    const b = partner('Partner B');
    await Promise.all([a.put, b.put]);
    const emailFor = async (apiKey: string) =>
      (await graphql<{ customer: { profile: { email: string } } }>(gw.url, query, { apiKey, purpose: 'analytics', variables: { id } })).body.data!.customer.profile.email;
    const [shared, ofA, ofA2, ofB] = await Promise.all([emailFor('c360_demo_analytics'), emailFor(a.key), emailFor(a.key), emailFor(b.key)]);
    expect(shared).toBe(hashes.email(customer.profile.email!));
    expect(ofA).toBe(ofA2); // stable for one partner: it can still count and match within its own data
    expect(new Set([shared, ofA, ofB]).size).toBe(3);
  });

  it.each([
    ['missing outside demo mode', { C360_DYNAMODB_ENDPOINT: 'http://127.0.0.1:1' }, 'C360_PSEUDONYM_KEY: required outside demo mode'],
    ['short', { C360_PSEUDONYM_KEY: 'short-secret-1234' }, 'C360_PSEUDONYM_KEY: expected at least 32 characters'],
    ['low-entropy', { C360_PSEUDONYM_KEY: 'ab'.repeat(32) }, 'C360_PSEUDONYM_KEY: looks low-entropy'],
    ['a word repeated', { C360_PSEUDONYM_KEY: 'password1234567890password1234567890' }, 'C360_PSEUDONYM_KEY: looks low-entropy'],
  ])('refuses to start with a secret that is %s, without echoing it', (_case, env, message) => {
    const attempt = () => loadConfig(env);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
    const secret = (env as { C360_PSEUDONYM_KEY?: string }).C360_PSEUDONYM_KEY;
    if (secret) expect(() => loadConfig(env)).not.toThrow(secret);
  });

  it('accepts a random secret, and in demo mode without one keeps a random key in the data dir (or in memory only)', () => {
    expect(loadConfig({ C360_DYNAMODB_ENDPOINT: 'http://127.0.0.1:1', C360_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY }).pseudonymKey).toBe(TEST_PSEUDONYM_KEY);
    const dir = mkdtempSync(join(tmpdir(), 'c360-pseudonym-'));
    try {
      const first = pseudonymKey({ configured: undefined, demo: true, dataDir: dir });
      const again = pseudonymKey({ configured: undefined, demo: true, dataDir: dir });
      expect(again.equals(first)).toBe(true);
      expect(readFileSync(join(dir, DEMO_KEY_FILE), 'utf8').trim()).toBe(first.toString('hex'));
      expect(statSync(join(dir, DEMO_KEY_FILE)).mode & 0o077).toBe(0);
      const memory = [pseudonymKey({ configured: undefined, demo: true, dataDir: undefined }), pseudonymKey({ configured: undefined, demo: true, dataDir: undefined })];
      expect(memory[0]!.equals(memory[1]!)).toBe(false);
      expect(memory[0]!.length).toBe(32);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('finding 4: event properties carried anything', () => {
  const TIMELINE = 'query($id: ID!) { customer(id: $id) { events(first: 100) { edges { node { id type properties } } } } }';

  it('refuses properties the tracking plan does not declare, naming them, and stores nothing', async () => {
    const anon = { type: 'ANONYMOUS_ID', value: 'probe-properties-1' };
    const first = await track(gw.url, { identity: anon, type: 'Order Completed', properties: { orderId: 'ord-1', total: 10 } });
    const response = await graphql(gw.url, 'mutation($input: TrackInput!) { track(input: $input) { eventId } }', {
      apiKey: INGEST_KEY,
      variables: { input: { identity: anon, type: 'Order Completed', properties: { orderId: 'ord-2', shippingEmail: 'ship.me@example.org', shipTo: '1 Private Road' } } },
    });
    expect(response.body).toEqual({
      errors: [
        {
          message:
            'input.properties has properties the tracking plan does not declare for this event type: shipTo, shippingEmail. Leave them out, or add them with a type and a class to the tracking plan (docs/privacy.md).',
          locations: expect.any(Array),
          path: ['track'],
          extensions: { code: 'BAD_USER_INPUT', field: 'input.properties', unplanned: ['shipTo', 'shippingEmail'] },
        },
      ],
      data: null,
      extensions: { traceId: TRACE_ID },
    });
    expect(JSON.stringify(response.body)).not.toContain('ship.me@example.org');
    const timeline = await graphql<{ customer: { events: { edges: unknown[] } } }>(gw.url, TIMELINE, { purpose: 'support', variables: { id: first.customerId } });
    expect(timeline.body.data!.customer.events.edges).toHaveLength(1);
  });

  it.each([
    ['a number as text', { orderId: 'ord-3', total: '10' }, 'input.properties.total must be a number, as the tracking plan declares it for this event type.', 'input.properties.total'],
    ['a fraction of items', { items: 1.5 }, 'input.properties.items must be an integer, as the tracking plan declares it for this event type.', 'input.properties.items'],
    ['a key that is not a name', { 'ship.me@example.org': 1 }, 'input.properties has properties the tracking plan does not declare for this event type: 1 other property.', 'input.properties'],
  ])('refuses %s, naming the property and never the value', async (_case, properties, message, field) => {
    const response = await graphql(gw.url, 'mutation($input: TrackInput!) { track(input: $input) { eventId } }', {
      apiKey: INGEST_KEY,
      variables: { input: { identity: { type: 'ANONYMOUS_ID', value: 'probe-properties-2' }, type: 'Order Completed', properties } },
    });
    expect(response.body.errors?.map((e) => ({ message: e.message, field: e.extensions?.field, code: e.extensions?.code }))).toEqual([
      { message: expect.stringContaining(message.replace(/\.$/, '')), field, code: 'BAD_USER_INPUT' },
    ]);
    expect(JSON.stringify(response.body)).not.toContain('ship.me');
  });

  it('decides each property by its own class: an order id hashed and the total released for analytics, the total withheld for marketing', async () => {
    const anon = { type: 'ANONYMOUS_ID', value: 'probe-properties-3' };
    const tracked = await track(gw.url, { identity: anon, type: 'Order Completed', properties: { orderId: 'ord-9', total: 25.5, currency: 'EUR' } });
    for (const purpose of ['ANALYTICS', 'MARKETING']) {
      await graphql(gw.url, 'mutation($input: SetConsentInput!) { setConsent(input: $input) { status } }', {
        apiKey: INGEST_KEY,
        variables: { input: { customerId: tracked.customerId, purpose, status: 'GRANTED', source: 'probe' } },
      });
    }
    const read = (apiKey: string, purpose: string) =>
      graphql(gw.url, 'query($id: ID!) { customer(id: $id) { events { edges { node { properties } } } } }', { apiKey, purpose, variables: { id: tracked.customerId } });
    const at = ['customer', 'events', 'edges', 0, 'node', 'properties'];

    const analytics = await read('c360_demo_analytics', 'analytics');
    expect(analytics.body).toEqual({
      data: { customer: { events: { edges: [{ node: { properties: { orderId: pseudonym('ord-9'), total: 25.5, currency: 'EUR' } } }] } } },
      extensions: {
        traceId: TRACE_ID,
        privacy: { purpose: 'ANALYTICS', fields: [{ path: [...at, 'orderId'].join('.'), piiClass: 'IDENTIFIER', decision: 'hash', reason: 'POLICY_HASHES' }] },
      },
    });

    const marketing = await read(ADMIN_KEY, 'marketing');
    expect(marketing.body).toEqual({
      errors: [
        {
          message: 'Personal field withheld: the policy does not release FINANCIAL data for purpose MARKETING.',
          path: [...at, 'total'],
          extensions: { code: 'PII_ACCESS_DENIED', reason: 'POLICY_DENIES', piiClass: 'FINANCIAL' },
        },
      ],
      data: { customer: { events: { edges: [{ node: { properties: { orderId: pseudonym('ord-9'), total: null, currency: 'EUR' } } }] } } },
      extensions: {
        traceId: TRACE_ID,
        privacy: {
          purpose: 'MARKETING',
          fields: [
            { path: [...at, 'orderId'].join('.'), piiClass: 'IDENTIFIER', decision: 'hash', reason: 'POLICY_HASHES' },
            { path: [...at, 'total'].join('.'), piiClass: 'FINANCIAL', decision: 'deny', reason: 'POLICY_DENIES' },
          ],
        },
      },
    });
  });
  it('answers properties a purpose releases whole unchanged, and audits each of them (support)', async () => {
    const anon = { type: 'ANONYMOUS_ID', value: 'probe-properties-allowed' };
    const tracked = await track(gw.url, { identity: anon, type: 'Order Completed', properties: { orderId: 'ord-11', total: 12, currency: 'EUR' } });
    const response = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { events { edges { node { properties } } } } }', {
      apiKey: ADMIN_KEY,
      purpose: 'support',
      variables: { id: tracked.customerId },
    });
    expect(response.body).toEqual({
      data: { customer: { events: { edges: [{ node: { properties: { orderId: 'ord-11', total: 12, currency: 'EUR' } } }] } } },
      extensions: { traceId: TRACE_ID, privacy: { purpose: 'SUPPORT', fields: [] } },
    });
    const trail = await graphql<{ auditTrail: { edges: Array<{ node: { traceId: string; fields: unknown[] } }> } }>(
      gw.url,
      'query($c: ID!) { auditTrail(customerId: $c, first: 50) { edges { node { traceId fields { path piiClass decision reason } } } } }',
      { apiKey: ADMIN_KEY, variables: { c: tracked.customerId } },
    );
    const records = trail.body.data!.auditTrail.edges.map((edge) => edge.node).filter((node) => node.traceId === response.body.extensions!.traceId);
    const at = 'customer.events.edges.0.node.properties';
    const allow = (path: string, piiClass: string) => ({ path, piiClass, decision: 'allow', reason: null });
    expect(records).toEqual([
      {
        traceId: response.body.extensions!.traceId,
        fields: [allow('customer.events', 'BEHAVIORAL'), allow(at, 'BEHAVIORAL'), allow(`${at}.currency`, 'BEHAVIORAL'), allow(`${at}.orderId`, 'IDENTIFIER'), allow(`${at}.total`, 'FINANCIAL')],
      },
    ]);
  });

  it('refuses a request whose JSON carries a __proto__ key (event properties included), storing nothing', async () => {
    const identity = { type: 'ANONYMOUS_ID', value: 'probe-properties-proto' };
    const body = `{"query":"mutation($input: TrackInput!) { track(input: $input) { eventId customerId } }","variables":{"input":{"identity":${JSON.stringify(identity)},"type":"Probe Proto","properties":{"__proto__":{"polluted":"yes"},"plain":"kept"}}}}`;
    const response = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': INGEST_KEY }, body });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ errors: [{ message: expect.stringContaining('not valid JSON'), extensions: { code: 'BAD_REQUEST' } }] });
    expect(text).not.toContain('polluted');
    // Nothing was stored: nobody holds the identifier.
    const lookup = await graphql(gw.url, 'query($type: IdentityType!, $value: String!) { customerByIdentity(type: $type, value: $value) { id } }', { apiKey: ADMIN_KEY, purpose: 'support', variables: identity });
    expect(lookup.body.data).toEqual({ customerByIdentity: null });
  });
});

describe('finding 4, quarantine: an event type whose plan quarantines what it does not declare', () => {
  let quarantine: TestGateway;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c360-plan-'));
    const plan = {
      events: { 'Form Submitted': { properties: { form: { type: 'string', class: 'BEHAVIORAL' } }, unplanned: 'quarantine' } },
    };
    writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
    quarantine = await startTestGateway({ C360_TRACKING_PLAN_FILE: join(dir, 'plan.json'), C360_DEMO_CUSTOMERS: '5' });
  });
  afterAll(async () => {
    await quarantine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores undeclared properties and releases them only as SENSITIVE, which support is not given', async () => {
    const tracked = await track(quarantine.url, {
      identity: { type: 'ANONYMOUS_ID', value: 'probe-quarantine' },
      type: 'Form Submitted',
      properties: { form: 'newsletter', shippingEmail: 'ship.me@example.org' },
    });
    const read = () =>
      graphql(quarantine.url, 'query($id: ID!) { customer(id: $id) { events { edges { node { type properties } } } } }', {
        purpose: 'support',
        variables: { id: tracked.customerId },
      });
    const path = ['customer', 'events', 'edges', 0, 'node', 'properties', 'shippingEmail'];
    const withheld = {
      errors: [
        {
          message: 'Personal field withheld: the policy does not release SENSITIVE data for purpose SUPPORT.',
          path,
          extensions: { code: 'PII_ACCESS_DENIED', reason: 'POLICY_DENIES', piiClass: 'SENSITIVE' },
        },
      ],
      data: { customer: { events: { edges: [{ node: { type: 'Form Submitted', properties: { form: 'newsletter', shippingEmail: null } } }] } } },
      extensions: { traceId: TRACE_ID, privacy: { purpose: 'SUPPORT', fields: [{ path: path.join('.'), piiClass: 'SENSITIVE', decision: 'deny', reason: 'POLICY_DENIES' }] } },
    };
    // Read again and again: an answer that withheld something is never kept for release by its marks (src/privacy/releasedByPlan.ts).
    const before = { ...quarantine.gateway.releasedByPlan! };
    for (let i = 0; i < 3; i++) expect((await read()).body).toEqual(withheld);
    expect(quarantine.gateway.releasedByPlan).toEqual({ ...before, decided: before.decided + 3 });
  });

  it('refuses a plan file that does not follow the documented shape, naming the problem', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ events: { 'Form Submitted': { properties: { form: { type: 'text', class: 'PRIVATE' } } } } }));
    await expect(startTestGateway({ C360_TRACKING_PLAN_FILE: join(dir, 'bad.json') })).rejects.toThrow(
      /Tracking plan .*bad\.json is invalid:\n {2}events\.Form Submitted\.properties\.form\.type: expected one of string, number, integer, boolean, object, array\n {2}events\.Form Submitted\.properties\.form\.class: expected one of CONTACT/,
    );
  });
});
