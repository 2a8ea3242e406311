import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { LoyaltyTestServer } from './support/loyaltyServer.js';
import type { LoyaltyMode } from './support/loyaltyServer.js';
import { startTestGateway, graphql, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { demoCustomer, loyaltyOf, testDemoData } from './support/demo.js';

const QUERY = 'query($id: ID!) { customer(id: $id) { id crm { crmId } loyalty { tier } } }';
const ID = DEMO_CUSTOMERS.consent.id;
const { crm, loyalty: member } = demoCustomer(ID);
/** The call centre's purpose releases every personal field as it is; the answer says so. */
const SUPPORT = { privacy: { purpose: 'SUPPORT', fields: [] } };
const HEALTHY = { data: { customer: { id: ID, crm: { crmId: crm!.crmId }, loyalty: { tier: member!.tier } } }, extensions: SUPPORT };

/** The whole answer when loyalty fails: everything else, plus one error at customer.loyalty. */
function partial(code: 'SOURCE_UNAVAILABLE' | 'SOURCE_TIMEOUT', message: string) {
  return {
    data: { customer: { id: ID, crm: { crmId: crm!.crmId }, loyalty: null } },
    errors: [{ message, locations: [{ line: 1, column: 56 }], path: ['customer', 'loyalty'], extensions: { code, source: 'loyalty' } }],
    extensions: SUPPORT,
  };
}

describe('a failing loyalty source gives partial results', () => {
  let gw: TestGateway;
  let loyalty: LoyaltyTestServer;
  beforeAll(async () => {
    loyalty = new LoyaltyTestServer(testDemoData().loyalty);
    gw = await startTestGateway({ C360_LOYALTY_URL: await loyalty.start(), C360_SOURCE_TIMEOUT_MS: '300', C360_BREAKER_THRESHOLD: '1000' });
  });
  afterAll(async () => {
    await gw?.close();
    await loyalty?.stop();
  });
  beforeEach(() => {
    loyalty.mode = { kind: 'ok' };
    loyalty.requests.length = 0;
  });

  const cases: Array<{ name: string; mode: LoyaltyMode; expected: ReturnType<typeof partial>; attempts: number }> = [
    { name: 'answers 503', mode: { kind: 'status', status: 503 }, expected: partial('SOURCE_UNAVAILABLE', 'loyalty source is unavailable: HTTP 503'), attempts: 3 },
    { name: 'resets the connection', mode: { kind: 'reset' }, expected: partial('SOURCE_UNAVAILABLE', 'loyalty source is unavailable: SocketError UND_ERR_SOCKET'), attempts: 3 },
    { name: 'answers a body that is not JSON', mode: { kind: 'not-json' }, expected: partial('SOURCE_UNAVAILABLE', 'loyalty source returned a malformed payload: body is not JSON'), attempts: 1 },
    { name: 'answers JSON off the contract', mode: { kind: 'off-contract' }, expected: partial('SOURCE_UNAVAILABLE', 'loyalty source returned a malformed payload: members invalid_type'), attempts: 1 },
    { name: 'answers 400', mode: { kind: 'status', status: 400 }, expected: partial('SOURCE_UNAVAILABLE', 'loyalty source rejected the request: HTTP 400'), attempts: 1 },
  ];

  for (const { name, mode, expected, attempts } of cases) {
    it(`when it ${name} (retried only when a retry can help)`, async () => {
      loyalty.mode = mode;
      const response = await graphql(gw.url, QUERY, { variables: { id: ID }, purpose: 'support' });
      expect(response.status).toBe(200);
      expect(withoutTraceId(response.body)).toEqual(expected);
      expect(loyalty.requests.length).toBe(attempts);
    });
  }

  it('when it is slow: SOURCE_TIMEOUT, and the answer arrives within the timeout plus 100 ms', async () => {
    loyalty.mode = { kind: 'delay', ms: 2_000 };
    const elapsed: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const response = await graphql(gw.url, QUERY, { variables: { id: ID }, purpose: 'support' });
      elapsed.push(performance.now() - started);
      expect(withoutTraceId(response.body)).toEqual(partial('SOURCE_TIMEOUT', 'loyalty source timed out: no answer within 300 ms'));
    }
    // None waited for the slow source; the best of three shows the deadline
    // itself, without the scheduling noise of a busy two-core machine.
    expect(Math.max(...elapsed)).toBeLessThan(2_000);
    expect(Math.min(...elapsed)).toBeLessThan(300 + 100);
  });

  it('when one member record is malformed, only that customer loses loyalty', async () => {
    loyalty.mode = { kind: 'bad-member', memberId: loyaltyOf(DEMO_CUSTOMERS.noConsent.id)!.memberId };
    const response = await graphql(gw.url, 'query($ids: [ID!]!) { customers(ids: $ids) { id loyalty { tier } } }', {
      variables: { ids: [ID, DEMO_CUSTOMERS.noConsent.id] },
      purpose: 'support',
    });
    expect(withoutTraceId(response.body)).toEqual({
      data: { customers: [{ id: ID, loyalty: { tier: member!.tier } }, { id: DEMO_CUSTOMERS.noConsent.id, loyalty: null }] },
      errors: [
        {
          // The member's place in the service's answer depends on how the gateway batched the ids.
          message: expect.stringMatching(/^loyalty source returned a malformed payload: members\.[01]\.pointsBalance invalid_type$/),
          locations: [{ line: 1, column: 49 }],
          path: ['customers', 1, 'loyalty'],
          extensions: { code: 'SOURCE_UNAVAILABLE', source: 'loyalty' },
        },
      ],
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
  });

  it('recovers on the next request once the source is healthy again', async () => {
    loyalty.mode = { kind: 'status', status: 500 };
    await graphql(gw.url, QUERY, { variables: { id: ID }, purpose: 'support' });
    loyalty.mode = { kind: 'ok' };
    expect(withoutTraceId((await graphql(gw.url, QUERY, { variables: { id: ID }, purpose: 'support' })).body)).toEqual(HEALTHY);
  });
});

describe('the circuit breaker sheds calls to a failing source and closes again', () => {
  let gw: TestGateway;
  let loyalty: LoyaltyTestServer;
  beforeAll(async () => {
    loyalty = new LoyaltyTestServer(testDemoData().loyalty);
    gw = await startTestGateway({
      C360_LOYALTY_URL: await loyalty.start(),
      C360_SOURCE_RETRIES: '0',
      C360_BREAKER_THRESHOLD: '3',
      C360_BREAKER_HALF_OPEN_MS: '400',
    });
  });
  afterAll(async () => {
    await gw?.close();
    await loyalty?.stop();
  });

  it('opens after 3 failures, answers without calling the source, reports it, then closes after a good probe', async () => {
    loyalty.mode = { kind: 'status', status: 500 };
    for (let i = 0; i < 3; i++) await graphql(gw.url, QUERY, { variables: { id: ID }, purpose: 'support' });
    expect(loyalty.requests.length).toBe(3);

    const shed = await graphql(gw.url, QUERY, { variables: { id: ID }, purpose: 'support' });
    expect(withoutTraceId(shed.body)).toEqual(
      partial('SOURCE_UNAVAILABLE', 'loyalty source is unavailable (circuit open): recent calls failed; calls are shed until a probe succeeds'),
    );
    expect(loyalty.requests.length).toBe(3);

    const ready = await fetch(`${gw.url}/readyz`, { headers: { 'x-api-key': 'c360_demo_admin' } });
    const readiness = (await ready.json()) as { status: string; sources: { loyalty: Record<string, unknown> } };
    // Loyalty is optional by default: the gateway stays ready, and says loyalty is down.
    expect(ready.status).toBe(200);
    expect(readiness.sources.loyalty).toEqual({
      status: 'down',
      required: false,
      adapter: 'http',
      circuit: 'open',
      latencyMs: expect.any(Number),
      error: 'loyalty source is unavailable: health HTTP 503',
    });

    loyalty.mode = { kind: 'ok' };
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(withoutTraceId((await graphql(gw.url, QUERY, { variables: { id: ID }, purpose: 'support' })).body)).toEqual(HEALTHY);
    expect(gw.gateway.services.sources.guards.loyalty.circuit).toBe('closed');
  });
});

describe('readiness fails when a required source is down', () => {
  let gw: TestGateway;
  let loyalty: LoyaltyTestServer;
  beforeAll(async () => {
    loyalty = new LoyaltyTestServer([]);
    gw = await startTestGateway({ C360_LOYALTY_URL: await loyalty.start(), C360_REQUIRED_SOURCES: 'singleview,resolution,loyalty' });
  });
  afterAll(async () => {
    await gw?.close();
    await loyalty?.stop();
  });

  it('answers 503 while the required loyalty source is down, 200 when it is back', async () => {
    loyalty.mode = { kind: 'status', status: 503 };
    const down = await fetch(`${gw.url}/readyz`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { status: string }).status).toBe('unavailable');
    loyalty.mode = { kind: 'ok' };
    const up = await fetch(`${gw.url}/readyz`);
    expect(up.status).toBe(200);
  });
});
