import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, configFrom, secretStrength } from '../src/config.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { FaultyCrm } from './support/faultyCrm.js';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { spawnGateway } from './support/process.js';
import { TEST_JWT_SECRET, signToken } from './support/tokens.js';
import { ADMIN_KEY, INGEST_KEY, TRACK } from './support/writes.js';

/**
 * The smaller findings of the abuse review (docs/security.md), each replayed
 * over HTTP the way the probe sent it, with the answer a careful API gives.
 */
const TRACE_ID = expect.stringMatching(/^[0-9a-f]{32}$/);
const OWN = DEMO_CUSTOMERS.consent.id;
const bearer = (token: string) => ({ apiKey: null, headers: { authorization: `Bearer ${token}` } });

let gw: TestGateway;
let crm: FaultyCrm;
let eventReads = 0;
beforeAll(async () => {
  gw = await startTestGateway(
    { C360_JWT_SECRET: TEST_JWT_SECRET, C360_BREAKER_THRESHOLD: '2', C360_SOURCE_RETRIES: '0' },
    {
      decorateSources: (sources) => {
        const singleView = sources.singleView;
        const getEvents = singleView.getEvents.bind(singleView);
        singleView.getEvents = (...args) => {
          eventReads += 1;
          return getEvents(...args);
        };
        return { ...sources, crm: (crm = new FaultyCrm(sources.crm)) };
      },
    },
  );
});
afterAll(() => gw?.close());

describe('answers that carry customer data are never kept by a cache', () => {
  const QUERY = 'query($id: ID!) { customer(id: $id) { id profile { email } } }';

  it('POST: Cache-Control no-store and Vary on the headers that change the answer', async () => {
    const response = await graphql(gw.url, QUERY, { variables: { id: OWN }, purpose: 'support' });
    expect(response.status).toBe(200);
    expect({ cacheControl: response.headers.get('cache-control'), vary: response.headers.get('vary') }).toEqual({
      cacheControl: 'no-store',
      vary: 'x-api-key, authorization, x-c360-purpose',
    });
  });

  it('GET, which a shared cache would otherwise keep, the same', async () => {
    const query = new URLSearchParams({ query: QUERY, variables: JSON.stringify({ id: OWN }) });
    const response = await fetch(`${gw.url}/graphql?${query}`, { headers: { 'x-api-key': 'c360_demo_support', 'x-c360-purpose': 'support' } });
    expect(response.status).toBe(200);
    expect({ cacheControl: response.headers.get('cache-control'), vary: response.headers.get('vary') }).toEqual({
      cacheControl: 'no-store',
      vary: 'x-api-key, authorization, x-c360-purpose',
    });
  });

  it('refusals too (a 401 is an answer about a credential)', async () => {
    const response = await graphql(gw.url, QUERY, { variables: { id: OWN }, apiKey: 'c360_nobody' });
    expect(response.status).toBe(401);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('answers Fastify makes itself on /graphql too (a malformed body), and no other route\'s', async () => {
    const malformed = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'c360_demo_support' }, body: '{"query": ' });
    expect(malformed.status).toBe(400);
    expect({ cacheControl: malformed.headers.get('cache-control'), vary: malformed.headers.get('vary') }).toEqual({
      cacheControl: 'no-store',
      vary: 'x-api-key, authorization, x-c360-purpose',
    });
    const health = await fetch(`${gw.url}/healthz`);
    expect({ cacheControl: health.headers.get('cache-control'), vary: health.headers.get('vary') }).toEqual({ cacheControl: null, vary: null });
  });
});

interface CoercionRow {
  readonly name: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** What must never come back. */
  readonly secret: string;
  readonly message: string;
  readonly extensions: Record<string, unknown>;
}

const IDENTIFY = 'mutation($input: IdentifyInput!) { identify(input: $input) { customer { id } } }';

const COERCION: CoercionRow[] = [
  {
    name: 'an e-mail sent as an identity type',
    query: 'query($t: IdentityType!) { customerByIdentity(type: $t, value: "x") { id } }',
    variables: { t: 'demo.customer@example.com' },
    secret: 'demo.customer@example.com',
    message: 'Variable "$t" got an invalid value; expected type "IdentityType".',
    extensions: { code: 'BAD_USER_INPUT', variable: 't', field: 't', expectedType: 'IdentityType' },
  },
  {
    name: 'a close miss of an enum value (no "Did you mean")',
    query: 'query($t: IdentityType!) { customerByIdentity(type: $t, value: "x") { id } }',
    variables: { t: 'EMAIl' },
    secret: 'EMAIl',
    message: 'Variable "$t" got an invalid value; expected type "IdentityType".',
    extensions: { code: 'BAD_USER_INPUT', variable: 't', field: 't', expectedType: 'IdentityType' },
  },
  {
    name: 'an extra input field carrying a social security number',
    query: IDENTIFY,
    variables: { input: { identities: [{ type: 'EMAIL', value: 'a@example.com' }], ssn: '078-05-1120' } },
    secret: '078-05-1120',
    message: 'Variable "$input" got an invalid value; field "ssn" is not defined by type "IdentifyInput".',
    extensions: { code: 'BAD_USER_INPUT', variable: 'input', field: 'input', expectedType: 'IdentifyInput' },
  },
  {
    name: 'an extra input field whose very name is personal',
    query: IDENTIFY,
    variables: { input: { identities: [{ type: 'EMAIL', value: 'a@example.com' }], 'jane.doe@example.com': 1 } },
    secret: 'jane.doe@example.com',
    message: 'Variable "$input" got an invalid value; a field is not defined by type "IdentifyInput".',
    extensions: { code: 'BAD_USER_INPUT', variable: 'input', field: 'input', expectedType: 'IdentifyInput' },
  },
  {
    name: 'an impossible date of birth',
    query: IDENTIFY,
    variables: { input: { identities: [{ type: 'EMAIL', value: 'a@example.com' }], traits: { birthDate: '1991-02-31' } } },
    secret: '1991-02-31',
    message: 'Variable "$input" got an invalid value at "input.traits.birthDate"; expected type "Date".',
    extensions: { code: 'BAD_USER_INPUT', variable: 'input', field: 'input.traits.birthDate', expectedType: 'Date' },
  },
  {
    name: 'a nested enum with a personal value',
    query: IDENTIFY,
    variables: { input: { identities: [{ type: '+1 415 555 0100', value: 'x' }] } },
    secret: '555',
    message: 'Variable "$input" got an invalid value at "input.identities[0].type"; expected type "IdentityType".',
    extensions: { code: 'BAD_USER_INPUT', variable: 'input', field: 'input.identities[0].type', expectedType: 'IdentityType' },
  },
  {
    name: 'a missing required field',
    query: IDENTIFY,
    variables: { input: { identities: [{ value: 'secret-value@example.com' }] } },
    secret: 'secret-value@example.com',
    message: 'Variable "$input" got an invalid value at "input.identities[0]"; field "type" of required type "IdentityType!" was not provided.',
    extensions: { code: 'BAD_USER_INPUT', variable: 'input', field: 'input.identities[0]', expectedType: 'IdentityInput' },
  },
  {
    name: 'a number where a string goes',
    query: 'query($v: String!) { customerByIdentity(type: EMAIL, value: $v) { id } }',
    variables: { v: 4155550100 },
    secret: '4155550100',
    message: 'Variable "$v" got an invalid value; expected type "String".',
    extensions: { code: 'BAD_USER_INPUT', variable: 'v', field: 'v', expectedType: 'String' },
  },
  {
    name: 'null for a non-null variable',
    query: 'query($id: ID!) { customer(id: $id) { id } }',
    variables: { id: null },
    secret: 'null,',
    message: 'Variable "$id" got an invalid value; expected type "ID!", which must not be null.',
    extensions: { code: 'BAD_USER_INPUT', variable: 'id', field: 'id', expectedType: 'ID!' },
  },
  {
    name: 'a variable not sent at all',
    query: 'query($id: ID!) { customer(id: $id) { id } }',
    variables: {},
    secret: 'undefined',
    message: 'Variable "$id" of required type "ID!" was not provided.',
    extensions: { code: 'BAD_USER_INPUT', variable: 'id', field: 'id', expectedType: 'ID!' },
  },
];

describe('variable coercion errors name the variable, field and expected type, never the value', () => {
  for (const row of COERCION) {
    it(row.name, async () => {
      const response = await graphql(gw.url, row.query, { variables: row.variables, apiKey: row.query === IDENTIFY ? INGEST_KEY : undefined });
      expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual({
        status: 400,
        body: { errors: [{ message: row.message, extensions: row.extensions }] },
      });
      // The trace id is random hex and may hold the secret's digits by chance: look at everything else.
      expect(JSON.stringify(withoutTraceId(response.body))).not.toContain(row.secret);
      expect(JSON.stringify(withoutTraceId(response.body))).not.toMatch(/Did you mean/);
    });
  }
});

describe('an impossible range is the caller’s mistake, refused before any source call', () => {
  it('events(since later than until) is BAD_USER_INPUT naming the argument, and the timeline is never read', async () => {
    const before = eventReads;
    const response = await graphql(
      gw.url,
      'query($id: ID!) { customer(id: $id) { id events(since: "2030-01-01T00:00:00Z", until: "2000-01-01T00:00:00Z") { edges { node { id } } } } }',
      { variables: { id: OWN }, purpose: 'support' },
    );
    expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual({
      status: 200,
      body: {
        // events is nullable (a personal part): the refusal nulls it, not the customer.
        data: { customer: { id: OWN, events: null } },
        errors: [
          {
            message: 'since must not be later than until.',
            locations: expect.any(Array),
            path: ['customer', 'events'],
            extensions: { code: 'BAD_USER_INPUT', field: 'since' },
          },
        ],
      },
    });
    expect(eventReads).toBe(before);
  });
});

describe('a subscription', () => {
  it('is refused with 400 BAD_REQUEST and no error in the log', async () => {
    const logged = gw.logs.length;
    const response = await graphql(gw.url, 'subscription Watch { customer(id: "cus_demo_customer") { id } }');
    expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual({
      status: 400,
      body: { errors: [{ message: 'Subscriptions are not supported; send a query or a mutation.', extensions: { code: 'BAD_REQUEST', reason: 'SUBSCRIPTIONS_NOT_SUPPORTED' } }] },
    });
    const errors = gw.logs.slice(logged).filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).toEqual([]);
  });
});

describe('token subjects are checked against a pattern and a length', () => {
  const SUBJECT_RULE = '1–128 characters from letters, digits and . _ : @ | + = -, starting with a letter or digit';
  const hostile = ['a'.repeat(6_000), 'agent-1\nforged log line', '{"json":true}', '<script>alert(1)</script>', 'a b', ''];

  it.each(hostile.map((sub) => [JSON.stringify(sub).slice(0, 40), sub]))('an agent token whose sub is %s is refused', async (_name, sub) => {
    const token = await signToken({ sub, role: 'agent', purposes: ['support'] });
    const response = await graphql(gw.url, '{ viewer { id } }', bearer(token));
    expect({ status: response.status, body: response.body }).toEqual({
      status: 401,
      body: { errors: [{ message: `Invalid token: the "sub" claim must be ${SUBJECT_RULE}.`, extensions: { code: 'UNAUTHENTICATED' } }] },
    });
  });

  it.each(hostile.filter(Boolean).map((sub) => [JSON.stringify(sub).slice(0, 40), sub]))('a customer token whose sub is %s is refused', async (_name, sub) => {
    const token = await signToken({ sub, role: 'customer' });
    const response = await graphql(gw.url, '{ me { id } }', bearer(token));
    expect({ status: response.status, body: response.body }).toEqual({
      status: 401,
      body: { errors: [{ message: `Invalid token: the "sub" claim must be ${SUBJECT_RULE}.`, extensions: { code: 'UNAUTHENTICATED' } }] },
    });
  });

  it('an agent with an ordinary identity provider id is accepted, and that is what its audit records name', async () => {
    const token = await signToken({ sub: 'auth0|5f7c8ec7c33c6c004bbafe82', role: 'agent', purposes: ['support'] });
    const response = await graphql(gw.url, '{ viewer { id kind } }', bearer(token));
    expect(response.body.data).toEqual({ viewer: { id: 'agent:auth0|5f7c8ec7c33c6c004bbafe82', kind: 'agent' } });
  });
});

describe('token lifetime is capped (C360_TOKEN_MAX_AGE, one day by default)', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const refused = { status: 401, body: { errors: [{ message: 'Invalid token: it is valid for longer than the 86400 s this gateway accepts (C360_TOKEN_MAX_AGE).', extensions: { code: 'UNAUTHENTICATED' } }] } };

  it.each([
    ['expires in 100 years', { expiresIn: now() + 100 * 365 * 86_400 }],
    ['expires in two days', { expiresIn: now() + 2 * 86_400 }],
  ])('a token that %s is refused', async (_case, options) => {
    const token = await signToken({ sub: 'agent-1', role: 'agent', purposes: ['support'] }, options);
    const response = await graphql(gw.url, '{ viewer { id } }', bearer(token));
    expect({ status: response.status, body: response.body }).toEqual(refused);
  });

  it('a token issued three days ago for three days and an hour is refused, though it expires within the hour', async () => {
    const token = await signToken({ sub: 'agent-1', role: 'agent', purposes: ['support'], iat: now() - 3 * 86_400 }, { expiresIn: now() + 3_600 });
    const response = await graphql(gw.url, '{ viewer { id } }', bearer(token));
    expect({ status: response.status, body: response.body }).toEqual(refused);
  });

  it('a token for a working day is accepted', async () => {
    const token = await signToken({ sub: 'agent-1', role: 'agent', purposes: ['support'] }, { expiresIn: '8h' });
    const response = await graphql(gw.url, '{ viewer { id } }', bearer(token));
    expect(response.body).toEqual({ data: { viewer: { id: 'agent:agent-1' } }, extensions: { traceId: TRACE_ID } });
  });

  it('defaults to one day and takes seconds or a duration', () => {
    expect(configFrom({}).tokens.maxAgeSeconds).toBe(86_400);
    expect(configFrom({ C360_TOKEN_MAX_AGE: '12h' }).tokens.maxAgeSeconds).toBe(43_200);
    expect(configFrom({ C360_TOKEN_MAX_AGE: '900' }).tokens.maxAgeSeconds).toBe(900);
    expect(() => configFrom({ C360_TOKEN_MAX_AGE: 'forever' })).toThrow('C360_TOKEN_MAX_AGE: expected seconds or a duration');
  });
});

describe('a guessable JWT secret stops the start', () => {
  const WEAK: Array<[string, string]> = [
    ['forty spaces', ' '.repeat(40)],
    ['one letter repeated', 'a'.repeat(48)],
    ['a word repeated', 'password'.repeat(5)],
    ['too short', 'Zx8#kP2!vQ9@mL4$wR7^nT1&'],
    ['a good secret padded with spaces', `  ${'k9Qv2xLp7RtY4mN8bZ3cW6hJ1sD5fG0aE'}  `],
  ];
  it.each(WEAK)('refuses %s, naming the variable but not the value', (_case, secret) => {
    expect(() => configFrom({ C360_JWT_SECRET: secret })).toThrow(ConfigError);
    let message = '';
    try {
      configFrom({ C360_JWT_SECRET: secret });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/C360_JWT_SECRET: (expected at least 32 characters|the secret is guessable)/);
    expect(message).not.toContain(secret.trim() || '          ');
  });

  it('accepts random secrets: 32 bytes in base64 or hex, and the test secret', () => {
    expect(secretStrength('q4Jx0nV8sWm2fZr7TbK1cLy9PdH5gA3eU6iO0wQjXk=')).toBe('ok');
    expect(secretStrength('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')).toBe('ok');
    expect(secretStrength(TEST_JWT_SECRET)).toBe('ok');
  });

  it('`npm start` exits 78 without echoing the secret', async () => {
    const gateway = spawnGateway({ C360_JWT_SECRET: ' '.repeat(40), C360_DATA_DIR: 'memory', C360_PORT: '0' });
    expect(await gateway.exited).toBe(78);
    expect(gateway.stderr.join('')).toContain('C360_JWT_SECRET: the secret is guessable');
  });
});

describe('a reused idempotency key with another payload', () => {
  it('is refused with IDEMPOTENCY_KEY_REUSED (409) and stores nothing; a true retry is still a duplicate', async () => {
    const identity = { type: 'ANONYMOUS_ID', value: 'anon-idempotency-reuse' };
    const first = await graphql<{ track: { eventId: string; customerId: string; duplicate: boolean } }>(gw.url, TRACK, {
      apiKey: INGEST_KEY,
      variables: { input: { identity, type: 'Order Completed', properties: { total: 10 }, idempotencyKey: 'order-42' } },
    });
    const { eventId, customerId } = first.body.data!.track;
    const retry = await graphql(gw.url, TRACK, {
      apiKey: INGEST_KEY,
      variables: { input: { identity, type: 'Order Completed', properties: { total: 10 }, idempotencyKey: 'order-42' } },
    });
    expect(withoutTraceId(retry.body)).toEqual({ data: { track: { eventId, customerId, duplicate: true } } });

    const reused = await graphql(gw.url, TRACK, {
      apiKey: INGEST_KEY,
      variables: { input: { identity, type: 'Order Completed', properties: { total: 99_999 }, idempotencyKey: 'order-42' } },
    });
    expect({ status: reused.status, body: withoutTraceId(reused.body) }).toEqual({
      status: 409,
      body: {
        data: null,
        errors: [
          {
            message: 'input.idempotencyKey was already used with a different event; nothing was stored. Use a new key for a new event.',
            locations: expect.any(Array),
            path: ['track'],
            extensions: { code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' },
          },
        ],
      },
    });

    const timeline = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { events { edges { node { id type properties } } } traits { orderCount lifetimeValue } } }', {
      apiKey: ADMIN_KEY,
      purpose: 'support',
      variables: { id: customerId },
    });
    expect(withoutTraceId(timeline.body).data).toEqual({
      customer: {
        events: { edges: [{ node: { id: eventId, type: 'Order Completed', properties: { total: 10 } } }] },
        traits: { orderCount: 1, lifetimeValue: 10 },
      },
    });
  });
});

describe('/readyz', () => {
  it('tells anyone only whether the gateway is ready', async () => {
    const response = await fetch(`${gw.url}/readyz`);
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { status: 'ready', down: [] } });
  });

  it('tells a key without health:read no more than anyone', async () => {
    const response = await fetch(`${gw.url}/readyz`, { headers: { 'x-api-key': 'c360_demo_support' } });
    expect({ status: response.status, body: await response.json() }).toEqual({ status: 200, body: { status: 'ready', down: [] } });
  });

  it('refuses a credential that does not check out', async () => {
    const response = await fetch(`${gw.url}/readyz`, { headers: { 'x-api-key': 'c360_nobody' } });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 401,
      body: { errors: [{ message: 'Invalid API key: unknown API key.', extensions: { code: 'UNAUTHENTICATED' } }] },
    });
  });

  it('shows an admin key the detail, with a status that agrees with an open circuit', async () => {
    crm.fault = { kind: 'down' };
    try {
      for (let i = 0; i < 2; i++) await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { crm { accountManager } } }', { variables: { id: OWN }, purpose: 'support' });
      expect(gw.gateway.services.sources.guards.crm.circuit).toBe('open');
      // The CRM answers its health check again while the breaker still sheds calls: the probe's finding, `up` beside `open`.
      crm.fault = { kind: 'ok' };
      const anyone = await fetch(`${gw.url}/readyz`);
      expect({ status: anyone.status, body: await anyone.json() }).toEqual({ status: 200, body: { status: 'ready', down: ['crm'] } });

      const admin = await fetch(`${gw.url}/readyz`, { headers: { 'x-api-key': ADMIN_KEY } });
      const body = (await admin.json()) as { sources: Record<string, unknown>; keyLookups: unknown; slowClients: unknown };
      expect(admin.status).toBe(200);
      expect(body.sources.crm).toEqual({
        status: 'down',
        required: false,
        adapter: 'embedded',
        circuit: 'open',
        latencyMs: expect.any(Number),
        error: 'calls are shed: the circuit is open after recent failures',
      });
      expect(body.sources.singleview).toMatchObject({ status: 'up', circuit: 'closed' });
      expect(body.keyLookups).toEqual({ circuit: 'closed' });
      expect(body.slowClients).toEqual({ headers: expect.any(Number), body: expect.any(Number), request: expect.any(Number) });
    } finally {
      crm.fault = { kind: 'ok' };
    }
  });
});
