import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { testDemoData } from './support/demo.js';
import { graphql, startTestGateway, dynamoSingleView } from './support/gateway.js';
import type { GraphQLResponse, TestGateway } from './support/gateway.js';
import { PII_SELECTION, PURPOSE_NAMES, customersByConsent } from './support/privacy.js';
import { TEST_JWT_SECRET, loginOf, signToken } from './support/tokens.js';

/**
 * docs/privacy.md: logs, traces and error messages never contain personal values.
 * This runs every purpose × class × consent combination, the token paths,
 * bad input that carries personal values, and a failing audit write, with
 * logs at `trace` and every span captured; then looks for every personal
 * value of the demo data in everything captured.
 */
let gw: TestGateway;
const bodies: Array<GraphQLResponse['body']> = [];

beforeAll(async () => {
  gw = await startTestGateway({ C360_LOG_LEVEL: 'trace', C360_JWT_SECRET: TEST_JWT_SECRET, C360_SOURCE_TIMEOUT_MS: '5000' });
});
afterAll(() => gw?.close());

async function ask(query: string, options: Parameters<typeof graphql>[2]): Promise<void> {
  bodies.push((await graphql(gw.url, query, options)).body);
}

/** Every personal value in the demo data: what must never be found. */
function personalValues(): string[] {
  const data = testDemoData();
  const values = new Set<string>();
  const add = (value: string | null | undefined) => {
    if (value && value.length >= 2) values.add(value);
  };
  for (const customer of data.customers) {
    const { firstName, lastName, email, phone, birthDate, address } = customer.profile;
    [firstName, lastName, email, phone, birthDate, address?.line1, address?.city, address?.postalCode].forEach(add);
    customer.identities.forEach((identity) => add(identity.value));
  }
  for (const contact of data.crm) [contact.crmId, contact.firstName, contact.lastName, contact.email, contact.phone, contact.accountManager].forEach(add);
  for (const member of data.loyalty) add(member.memberId);
  return [...values];
}

/** A value found as a whole token: "Ann" is not found inside "Annual", a ZIP code not inside a longer number. */
function occurrences(text: string, values: readonly string[]): string[] {
  return values.filter((value) => new RegExp(`(?<![A-Za-z0-9])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`).test(text));
}

describe('no personal data in logs, traces or error messages', () => {
  it('runs the whole matrix and finds no personal value in any log line, span or error message', async () => {
    const customers = [
      ...new Set([
        DEMO_CUSTOMERS.consent.id,
        DEMO_CUSTOMERS.noConsent.id,
        ...(['marketing', 'personalization', 'analytics'] as const).flatMap((purpose) => Object.values(customersByConsent(purpose))),
      ]),
    ];
    const full = `query Matrix($ids: [ID!]!) { customers(ids: $ids) { ${PII_SELECTION} consents { purpose status } segments { since } } }`;
    for (const purpose of [...PURPOSE_NAMES, undefined]) {
      await ask(full, { apiKey: 'c360_demo_admin', ...(purpose ? { purpose } : {}), variables: { ids: customers } });
    }
    // Demo keys as partners use them, including the fields their scopes refuse.
    for (const [apiKey, purpose] of [['c360_demo_marketing', 'marketing'], ['c360_demo_marketing', 'personalization'], ['c360_demo_analytics', 'analytics'], ['c360_demo_support', 'support']]) {
      await ask(full, { apiKey, purpose, variables: { ids: customers } });
    }
    // Tokens.
    const customerToken = await signToken({ sub: loginOf(DEMO_CUSTOMERS.consent.id), role: 'customer' });
    await ask(`{ me { ${PII_SELECTION} } }`, { apiKey: null, headers: { authorization: `Bearer ${customerToken}` } });
    await ask('query($id: ID!) { customer(id: $id) { id } }', { apiKey: null, headers: { authorization: `Bearer ${customerToken}` }, variables: { id: DEMO_CUSTOMERS.noConsent.id } });
    const agentToken = await signToken({ sub: 'agent-1', role: 'agent', purposes: ['support'] });
    await ask(full, { apiKey: null, headers: { authorization: `Bearer ${agentToken}` }, purpose: 'support', variables: { ids: customers } });

    // Personal values as input: found, not found, malformed, and in the wrong argument.
    const someone = testDemoData().customers[5]!;
    const byIdentity = 'query($t: IdentityType!, $v: String!) { customerByIdentity(type: $t, value: $v) { id profile { email } } }';
    for (const [t, v] of [['EMAIL', someone.profile.email!], ['PHONE', someone.profile.phone!], ['EMAIL', `x${someone.profile.email!}`], ['PHONE', someone.profile.firstName!], ['EMAIL', someone.profile.lastName!]]) {
      await ask(byIdentity, { purpose: 'support', variables: { t, v } });
    }
    await ask('query($id: ID!) { customer(id: $id) { id } }', { purpose: 'support', variables: { id: someone.profile.email! } });
    await ask('query($ids: [ID!]!) { customers(ids: $ids) { id } }', { purpose: 'support', variables: { ids: [someone.profile.phone!] } });
    await ask(`{ customer(id: "${someone.profile.address!.line1!}") { id } }`, { purpose: 'support' });
    await ask('{ customer(id: 1) { nope } }', { purpose: 'support' });
    await ask(byIdentity, { apiKey: 'c360_demo_marketing', purpose: 'support', variables: { t: 'EMAIL', v: someone.profile.email! } });
    await ask(byIdentity, { apiKey: `c360_${someone.profile.lastName!}`, purpose: 'support', variables: { t: 'EMAIL', v: someone.profile.email! } });
    const get = await fetch(`${gw.url}/graphql?query=${encodeURIComponent(byIdentity)}&variables=${encodeURIComponent(JSON.stringify({ t: 'EMAIL', v: someone.profile.email }))}`, {
      headers: { 'x-api-key': 'c360_demo_support', 'x-c360-purpose': 'support', 'apollo-require-preflight': 'true' },
    });
    bodies.push((await get.json()) as GraphQLResponse['body']);

    // The audit write failing: every release is taken back and the failure logged.
    const store = dynamoSingleView(gw);
    const audit = await store.document.send(new ScanCommand({ TableName: store.tables.audit }));
    await store.client.send(new DeleteTableCommand({ TableName: store.tables.audit }));
    await ask(full, { apiKey: 'c360_demo_admin', purpose: 'support', variables: { ids: customers } });

    const spans = gw.spans.getFinishedSpans().map((span) =>
      JSON.stringify({ name: span.name, attributes: span.attributes, events: span.events.map((e) => ({ name: e.name, attributes: e.attributes })), status: span.status }),
    );
    const messages = bodies.flatMap((body) => (body.errors ?? []).map((error) => error.message));
    const stored = (audit.Items ?? []).map((item) => JSON.stringify(item));

    // Sanity: the capture is real and covers what happened.
    expect(gw.logs.some((line) => line.includes('audit write failed'))).toBe(true);
    expect(spans.some((span) => span.includes('c360.source.loyalty'))).toBe(true);
    expect(stored.length).toBeGreaterThan(0);
    expect(messages.some((message) => message.includes('withheld'))).toBe(true);

    const values = personalValues();
    const found = (texts: readonly string[]) =>
      texts.flatMap((text) => occurrences(text.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>'), values).map((value) => ({ value, in: text.slice(0, 200) })));
    expect({ logs: found(gw.logs), spans: found(spans), errorMessages: found(messages), auditRecords: found(stored) }).toEqual({
      logs: [],
      spans: [],
      errorMessages: [],
      auditRecords: [],
    });
  });
});
