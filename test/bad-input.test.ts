import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, graphql, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.close());

interface Row {
  readonly name: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  readonly status: number;
  readonly code: string;
  readonly message: RegExp;
  readonly field?: string;
}

const tooMany = Array.from({ length: 101 }, (_, i) => `cus_${i}`);

/** One row per kind of bad input: expected status, code, field and a fragment of the message. */
const ROWS: Row[] = [
  {
    name: 'unknown identity type (variable)',
    query: 'query($t: IdentityType!) { customerByIdentity(type: $t, value: "x") { id } }',
    variables: { t: 'SOCIAL_SECURITY' },
    status: 400,
    code: 'BAD_USER_INPUT',
    message: /^Variable "\$t" got an invalid value; expected type "IdentityType"\.$/,
  },
  {
    name: 'unknown identity type (literal)',
    query: '{ customerByIdentity(type: SSN, value: "x") { id } }',
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: /^Expected a value of type "IdentityType" here; the value sent is not repeated\.$/,
  },
  {
    name: 'customer id with characters outside the id alphabet',
    query: 'query($id: ID!) { customer(id: $id) { id } }',
    variables: { id: 'cus 1; drop' },
    status: 200,
    code: 'BAD_USER_INPUT',
    message: /^id is not a customer id/,
    field: 'id',
  },
  {
    name: 'empty customer id',
    query: 'query($id: ID!) { customer(id: $id) { id } }',
    variables: { id: '' },
    status: 200,
    code: 'BAD_USER_INPUT',
    message: /^id is not a customer id/,
    field: 'id',
  },
  {
    name: 'customer id longer than 128 characters',
    query: 'query($id: ID!) { customer(id: $id) { id } }',
    variables: { id: 'c'.repeat(129) },
    status: 200,
    code: 'BAD_USER_INPUT',
    message: /^id is not a customer id/,
    field: 'id',
  },
  {
    name: 'one bad id among many',
    query: 'query($ids: [ID!]!) { customers(ids: $ids) { id } }',
    variables: { ids: ['cus_000001', 'not an id'] },
    status: 200,
    code: 'BAD_USER_INPUT',
    message: /^ids\[1\] is not a customer id/,
    field: 'ids[1]',
  },
  {
    name: 'more than 100 ids',
    query: 'query($ids: [ID!]!) { customers(ids: $ids) { id } }',
    variables: { ids: tooMany },
    status: 200,
    code: 'BAD_USER_INPUT',
    message: /^ids has 101 ids; at most 100/,
    field: 'ids',
  },
  {
    name: 'email that is not an email',
    query: 'query($v: String!) { customerByIdentity(type: EMAIL, value: $v) { id } }',
    variables: { v: 'not-an-email' },
    status: 200,
    code: 'BAD_USER_INPUT',
    message: /^value is not an email address for identity type EMAIL/,
    field: 'value',
  },
  {
    name: 'phone that is not a phone number',
    query: 'query($v: String!) { customerByIdentity(type: PHONE, value: $v) { id } }',
    variables: { v: '12' },
    status: 200,
    code: 'BAD_USER_INPUT',
    message: /^value is not a valid phone number/,
    field: 'value',
  },
  {
    name: 'blank identifier',
    query: 'query($v: String!) { customerByIdentity(type: USER_ID, value: $v) { id } }',
    variables: { v: '   ' },
    status: 200,
    code: 'BAD_USER_INPUT',
    message: /^value is empty/,
    field: 'value',
  },
  {
    name: 'a cursor the API never returned',
    query: '{ customer(id: "cus_demo_customer") { id events(after: "bm90IGEgY3Vyc29y") { edges { cursor } } } }',
    status: 200,
    code: 'BAD_USER_INPUT',
    message: /^after is not a cursor this API returned/,
    field: 'after',
  },
  {
    name: 'page size out of range',
    query: '{ customer(id: "cus_demo_customer") { id events(first: 1000) { edges { cursor } } } }',
    status: 200,
    code: 'BAD_USER_INPUT',
    message: /^first must be between 1 and 100/,
    field: 'first',
  },
  {
    name: 'a date-time that is not one',
    query: '{ customer(id: "cus_demo_customer") { id events(since: "yesterday") { edges { cursor } } } }',
    status: 400,
    code: 'GRAPHQL_VALIDATION_FAILED',
    message: /^Expected a value of type "DateTime" here; the value sent is not repeated\.$/,
  },
];

describe('bad input gets a clear error and never a 500', () => {
  for (const row of ROWS) {
    it(row.name, async () => {
      // A purpose, so that only the bad input decides (without one, events would be withheld first).
      const response = await graphql(gw.url, row.query, { variables: row.variables, purpose: 'support' });
      expect(response.status).toBe(row.status);
      const [error, ...others] = response.body.errors ?? [];
      expect(others).toEqual([]);
      expect(error?.message).toMatch(row.message);
      expect(error?.extensions?.code).toBe(row.code);
      if (row.field) expect(error?.extensions?.field).toBe(row.field);
    });
  }

  // A literal in the wrong place, often a personal value typed where another belongs: graphql-js's own
  // messages would quote it back (src/hardening/literalErrors.ts); the answer names the type and the place only.
  it.each([
    ['a phone number written as a number', 'mutation { track(input: { identity: { type: PHONE, value: 4915112345678 }, type: "Order" }) { eventId } }', 'String', '4915112345678', { line: 1, column: 59 }],
    ['an e-mail where the identity type goes', 'mutation { track(input: { identity: { type: "jane.doe@example.com", value: "x" }, type: "Order" }) { eventId } }', 'IdentityType', 'jane.doe@example.com', { line: 1, column: 45 }],
    ['free text where a date-time goes', 'mutation { track(input: { identity: { type: EMAIL, value: "a@example.com" }, type: "Order", occurredAt: "Jane Doe, born 1980-02-03" }) { eventId } }', 'DateTime', 'Jane Doe', { line: 1, column: 105 }],
    ['an e-mail in a list where an id goes', '{ customer(id: ["jane.doe@example.com"]) { id } }', 'ID', 'jane.doe@example.com', { line: 1, column: 16 }],
  ])('%s: a 400 naming the expected type and where, never the value', async (_name, query, expectedType, value, location) => {
    const response = await graphql(gw.url, query, { apiKey: 'c360_demo_ingest' });
    expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual({
      status: 400,
      body: {
        errors: [{ message: `Expected a value of type "${expectedType}" here; the value sent is not repeated.`, locations: [location], extensions: { code: 'GRAPHQL_VALIDATION_FAILED', expectedType } }],
      },
    });
    expect(JSON.stringify(response.body)).not.toContain(value);
  });

  it('an unknown input field is named, since it is a name of the schema\'s alphabet, not a value', async () => {
    const response = await graphql(gw.url, 'mutation { track(input: { identity: { type: EMAIL, value: "a@example.com", nme: "Jane" }, type: "Order" }) { eventId } }', { apiKey: 'c360_demo_ingest' });
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ message: 'Field "nme" is not defined by type "IdentityInput".', locations: [{ line: 1, column: 76 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
  });

  it('a body that is not JSON is a 400 with a message saying what to send', async () => {
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'c360_demo_support' },
      body: '{"query": "{ segments { id } ',
    });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 400,
      body: { errors: [{ message: 'The request body is not valid JSON; send {"query": "...", "variables": {...}}.', extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('a body with no query is a 400', async () => {
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'c360_demo_support' },
      body: '{"variables": {}}',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });

  it('an unknown purpose is a 400 naming the header', async () => {
    const response = await graphql(gw.url, '{ segments { id } }', { purpose: 'curiosity' });
    expect(response.status).toBe(400);
    expect(withoutTraceId(response.body)).toEqual({
      errors: [
        {
          message: 'Unknown purpose in x-c360-purpose; expected one of SUPPORT, MARKETING, ANALYTICS, PERSONALIZATION, FRAUD, SELF_SERVICE (in any case).',
          extensions: { code: 'BAD_USER_INPUT', field: 'x-c360-purpose' },
        },
      ],
    });
  });

  it('the gateway still answers after all of that', async () => {
    const response = await graphql(gw.url, '{ customer(id: "cus_demo_customer") { id } }');
    expect(withoutTraceId(response.body)).toEqual({ data: { customer: { id: 'cus_demo_customer' } } });
  });
});
