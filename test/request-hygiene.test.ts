import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFrom } from '../src/config.js';
import { createContext, privacyLedgerIfMade } from '../src/context.js';
import type { GatewayContext } from '../src/context.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { buildBaseSchema } from '../src/graphql/schema.js';
import { demoCustomer } from './support/demo.js';
import { FaultyCrm } from './support/faultyCrm.js';
import { graphql, startTestGateway, withoutTraceId, SUPPORT_RELEASE } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

const ORIGIN = 'https://app.example.com';
const KEY = { 'x-api-key': 'c360_demo_support' };

describe('request hygiene', () => {
  let gw: TestGateway;
  let crm: FaultyCrm;
  beforeAll(async () => {
    gw = await startTestGateway(
      { C360_CORS_ORIGINS: `${ORIGIN},https://admin.example.com`, C360_BODY_LIMIT_BYTES: '4096', C360_SOURCE_TIMEOUT_MS: '5000' },
      { decorateSources: (sources) => ({ ...sources, crm: (crm = new FaultyCrm(sources.crm)) }) },
    );
  });
  afterAll(() => gw?.close());

  it('refuses a body over the limit with 413 (default 100 KiB)', async () => {
    expect(configFrom({}).hardening.bodyLimitBytes).toBe(102_400);
    const response = await graphql(gw.url, `{ segments { id } } # ${'x'.repeat(5_000)}`);
    expect({ status: response.status, body: response.body }).toEqual({
      status: 413,
      body: { errors: [{ message: 'The request body is too large.', extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('refuses batched requests', async () => {
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...KEY },
      body: JSON.stringify([{ query: '{ segments { id } }' }, { query: '{ segments { name } }' }]),
    });
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 400,
      body: { errors: [{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('answers a CORS preflight from an allowed origin, and never allows another origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${gw.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key,x-c360-purpose' },
      });
    const allowed = await preflight(ORIGIN);
    expect(allowed.status).toBe(204);
    const cors: Record<string, string> = {};
    allowed.headers.forEach((value, name) => {
      if (name.startsWith('access-control-')) cors[name] = value;
    });
    expect(cors).toEqual({
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'content-type, accept, x-api-key, authorization, x-c360-purpose, x-request-id, traceparent, tracestate, apollo-require-preflight, x-apollo-operation-name',
      'access-control-expose-headers': 'retry-after',
      'access-control-max-age': '600',
    });
    // Without Access-Control-Allow-Origin a browser refuses the cross-origin call.
    const other = await preflight('https://evil.example.net');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();

    const actual = await graphql(gw.url, '{ segments { id } }', { headers: { origin: ORIGIN } });
    expect(actual.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(actual.headers.get('access-control-expose-headers')).toBe('retry-after');
    expect(configFrom({}).hardening.corsOrigins).toEqual([]);
  });

  it('sends security headers on API answers', async () => {
    const response = await graphql(gw.url, '{ segments { id } }');
    const wanted = [
      'content-security-policy',
      'strict-transport-security',
      'x-content-type-options',
      'x-frame-options',
      'referrer-policy',
      'cross-origin-opener-policy',
      'cross-origin-resource-policy',
      'x-powered-by',
    ];
    expect(Object.fromEntries(wanted.map((name) => [name, response.headers.get(name)]))).toEqual({
      'content-security-policy': "default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'",
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'x-powered-by': null,
    });
  });

  it('sends the same security headers on answers Fastify makes itself (a 404, a 413)', async () => {
    const answers = [
      await fetch(`${gw.url}/nowhere`),
      await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...KEY }, body: JSON.stringify({ query: `{ __typename } # ${'x'.repeat(5_000)}` }) }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([404, 413]);
    for (const answer of answers) {
      expect(answer.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none';base-uri 'none';form-action 'none'");
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    }
  });

  it('makes a request\'s loaders, privacy ledger and logger only when used, shared with the copy Apollo Server makes of the context', async () => {
    const { services } = gw.gateway;
    const context = await createContext(services, { headers: { ...KEY, 'x-c360-purpose': 'support' } }, 'req-1');
    // As Apollo Server copies the context for each operation (its own properties, onto the same prototype).
    const copy = Object.assign(Object.create(Object.getPrototypeOf(context) as object) as GatewayContext, context);
    expect(privacyLedgerIfMade(context)).toBeUndefined();
    expect(privacyLedgerIfMade(copy)).toBeUndefined();
    const ledger = copy.privacy;
    expect(ledger.purpose).toBe('SUPPORT');
    expect(context.privacy).toBe(ledger);
    expect(privacyLedgerIfMade(context)).toBe(ledger);
    expect(copy.loaders).toBe(context.loaders);
    expect(copy.loaders.customers).toBe(context.loaders.customers);
    expect(copy.logger).toBe(context.logger);
    expect(copy.readAudit).toBeUndefined();
    // A customer the ledger must read for its owner facts goes through the same loaders.
    await ledger.decide(DEMO_CUSTOMERS.consent.id, 'CONTACT');
    expect(await context.loaders.customers.load(DEMO_CUSTOMERS.consent.id)).toMatchObject({ id: DEMO_CUSTOMERS.consent.id });
  });

  it('logs each request\'s completion at info with its route pattern, never its URL', async () => {
    const query = new URLSearchParams({ query: '{ segments { id } }', variables: JSON.stringify({ marker: 'hygiene-marker' }) });
    const response = await fetch(`${gw.url}/graphql?${query}`, { headers: { ...KEY, 'x-request-id': 'hygiene-log-1' } });
    expect(response.status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    const lines = gw.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === 'request completed' && line.reqId === 'hygiene-log-1');
    expect(lines).toEqual([expect.objectContaining({ method: 'GET', route: '/graphql', status: 200, ms: expect.any(Number) })]);
    expect(gw.logs.some((line) => line.includes('hygiene-marker'))).toBe(false);
  });

  it('answers queries over GET', async () => {
    const response = await fetch(`${gw.url}/graphql?${new URLSearchParams({ query: '{ segments { id } }' })}`, { headers: KEY });
    expect(response.status).toBe(200);
    expect(withoutTraceId((await response.json()) as { extensions?: Record<string, unknown> })).toEqual({ data: { segments: expect.any(Array) } });
  });

  it('never runs a mutation over GET', async () => {
    // Without a Mutation type the GET would be refused for another reason: fail, never skip.
    expect(buildBaseSchema().getMutationType(), 'the schema has a Mutation type').toBeDefined();
    const response = await fetch(`${gw.url}/graphql?${new URLSearchParams({ query: 'mutation { __typename }' })}`, { headers: KEY });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('keeps Apollo’s CSRF prevention: a simple request without credentials or preflight headers is blocked', async () => {
    const response = await fetch(`${gw.url}/graphql?${new URLSearchParams({ query: '{ segments { id } }' })}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('This operation has been blocked as a potential Cross-Site Request Forgery (CSRF).');
  });

  it('answers an unexpected error as INTERNAL_SERVER_ERROR with the trace id; the log has the detail, no personal values', async () => {
    crm.fault = { kind: 'broken-contract' };
    try {
      const response = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { id crm { accountManager openCases { id } } } }', {
        variables: { id: DEMO_CUSTOMERS.consent.id },
        purpose: 'support',
      });
      const traceId = response.body.extensions?.traceId as string;
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect({ status: response.status, body: response.body }).toEqual({
        status: 200,
        body: {
          data: { customer: { id: DEMO_CUSTOMERS.consent.id, crm: { accountManager: demoCustomer(DEMO_CUSTOMERS.consent.id).crm!.accountManager, openCases: null } } },
          errors: [
            {
              message: 'Internal server error',
              locations: [{ line: 1, column: 63 }],
              path: ['customer', 'crm', 'openCases'],
              extensions: { code: 'INTERNAL_SERVER_ERROR', traceId },
            },
          ],
          extensions: { traceId, privacy: { purpose: 'SUPPORT', fields: [] } },
        },
      });
      const logged = gw.logs.map((line) => JSON.parse(line) as { msg: string; traceId?: string; err?: { type: string; frames: string[] } });
      const entry = logged.find((line) => line.msg === 'unexpected error in a request' && line.traceId === traceId);
      expect(entry?.err).toEqual({ type: 'TypeError', frames: expect.arrayContaining([expect.stringContaining('CrmRecord.ts')]) });
      const { crm: contact, customer } = demoCustomer(DEMO_CUSTOMERS.consent.id);
      const text = gw.logs.join('\n');
      for (const value of [contact!.accountManager, contact!.email, contact!.firstName, customer.profile.email, customer.profile.phone, 'Cannot read properties']) {
        expect(text).not.toContain(String(value));
      }
    } finally {
      crm.fault = { kind: 'ok' };
    }
  });
});

describe('draining after SIGTERM (in process)', () => {
  it('finishes requests in flight, answers new ones 503 SHUTTING_DOWN during the delay, runs shutdown hooks before the sources close', async () => {
    let crm: FaultyCrm | undefined;
    const gw = await startTestGateway(
      { C360_SHUTDOWN_DELAY_MS: '1500', C360_SOURCE_TIMEOUT_MS: '10000' },
      { decorateSources: (sources) => ({ ...sources, crm: (crm = new FaultyCrm(sources.crm)) }) },
    );
    const hookRuns: string[] = [];
    gw.gateway.services.shutdown.register('test flush', async () => {
      // The sources are still open while hooks run (an audit writer still has its table).
      await gw.gateway.services.sources.singleView.health();
      hookRuns.push('flushed with the single view open');
    });
    crm!.fault = { kind: 'delay', ms: 1_000 };
    const id = DEMO_CUSTOMERS.consent.id;
    const inFlight = graphql(gw.url, 'query($id: ID!) { customer(id: $id) { id crm { crmId } } }', { variables: { id }, purpose: 'support' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closed = gw.close();
    const late = await graphql(gw.url, '{ segments { id } }');
    expect({ status: late.status, retryAfter: late.headers.get('retry-after'), connection: late.headers.get('connection'), body: late.body }).toEqual({
      status: 503,
      retryAfter: '1',
      connection: 'close',
      body: { errors: [{ message: 'The gateway is shutting down; retry the request.', extensions: { code: 'SHUTTING_DOWN' } }] },
    });
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(503);

    const answered = await inFlight;
    expect(withoutTraceId(answered.body)).toEqual({ data: { customer: { id, crm: { crmId: demoCustomer(id).crm!.crmId } } }, extensions: SUPPORT_RELEASE });
    await closed;
    expect(hookRuns).toEqual(['flushed with the single view open']);
    await expect(fetch(`${gw.url}/healthz`)).rejects.toThrow();
  });
});
