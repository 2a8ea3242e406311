import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import type { OperationDefinitionNode } from 'graphql';
import { configFrom } from '../src/config.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { AdmissionControl, customersAsked } from '../src/hardening/admission.js';
import type { Admission } from '../src/hardening/admission.js';
import { FaultyCrm } from './support/faultyCrm.js';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import { scrape, total } from './support/prometheus.js';
import type { TestGateway } from './support/gateway.js';

/**
 * Admission control (docs/security.md, "Overload"): a bounded number of
 * operations run at once, the rest wait their turn per principal, and one
 * that cannot start in time is answered 503 OVERLOADED with Retry-After
 * before it touches a source.
 */
const ID = DEMO_CUSTOMERS.consent.id;
const SLOW_QUERY = 'query($id: ID!) { customer(id: $id) { id crm { crmId } } }';
const FAST_QUERY = 'query($id: ID!) { customer(id: $id) { id } }';

describe('503 OVERLOADED over HTTP when no slot frees in time', () => {
  let gw: TestGateway;
  let crm: FaultyCrm;
  beforeAll(async () => {
    gw = await startTestGateway(
      { C360_MAX_CONCURRENT_OPERATIONS: '1', C360_ADMISSION_WAIT_MS: '300', C360_SOURCE_TIMEOUT_MS: '5000', C360_RATE_LIMIT_PER_MINUTE: '0', C360_METRICS_PORT: '0' },
      { decorateSources: (sources) => ({ ...sources, crm: (crm = new FaultyCrm(sources.crm)) }) },
    );
  });
  afterAll(() => gw?.close());

  it('holds the slot while one operation runs; the next waits, then is shed with Retry-After and nothing run', async () => {
    // The marketing key cached first: its lookup must not eat into the slow call's time on a busy machine.
    expect((await graphql(gw.url, FAST_QUERY, { apiKey: 'c360_demo_marketing', variables: { id: ID }, purpose: 'marketing' })).status).toBe(200);
    crm.fault = { kind: 'delay', ms: 3_000 };
    const slow = graphql(gw.url, SLOW_QUERY, { variables: { id: ID }, purpose: 'support' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // /readyz (health:read) shows the slot taken.
    const ready = (await (await fetch(`${gw.url}/readyz`, { headers: { 'x-api-key': 'c360_demo_admin' } })).json()) as { admission: unknown };
    expect(ready.admission).toEqual({ limit: 1, running: 1, queued: 0, shed: { queueFull: 0, waitedTooLong: 0 } });
    gw.spans.reset();
    const metricsUrl = gw.gateway.metrics!.url!;
    const shedBefore = total(await scrape(metricsUrl), 'c360_shed_requests_total', { reason: 'overloaded' });
    const started = Date.now();
    const shed = await graphql(gw.url, FAST_QUERY, { apiKey: 'c360_demo_marketing', variables: { id: ID }, purpose: 'marketing' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect({ status: shed.status, retryAfter: shed.headers.get('retry-after'), body: withoutTraceId(shed.body) }).toEqual({
      status: 503,
      retryAfter: '1',
      body: {
        errors: [
          {
            message: 'The gateway is busy and the request could not start in time; nothing was run. Retry after 1 s.',
            extensions: { code: 'OVERLOADED', retryAfter: 1 },
          },
        ],
      },
    });
    // Nothing of the shed request reached a source (only its key was looked up).
    // Counted for the operators' dashboard and the C360RequestsShed alert (docs/operations.md).
    const exposition = await scrape(metricsUrl);
    expect(total(exposition, 'c360_shed_requests_total', { reason: 'overloaded' }) - shedBefore).toBe(1);
    expect(total(exposition, 'c360_graphql_requests_total', { outcome: 'shed' })).toBeGreaterThanOrEqual(1);
    const sourceCalls = gw.spans.getFinishedSpans().filter((span) => span.name.startsWith('c360.source.') && span.attributes['c360.source.operation'] !== 'getApiKey');
    expect(sourceCalls.map((span) => span.name)).toEqual([]);
    const first = await slow;
    expect(first.status).toBe(200);
    crm.fault = { kind: 'ok' };
    // The slot is free again: the same request now runs.
    const after = await graphql(gw.url, FAST_QUERY, { apiKey: 'c360_demo_marketing', variables: { id: ID }, purpose: 'marketing' });
    expect(after.status).toBe(200);
    const state = (await (await fetch(`${gw.url}/readyz`, { headers: { 'x-api-key': 'c360_demo_admin' } })).json()) as { admission: unknown };
    expect(state.admission).toEqual({ limit: 1, running: 0, queued: 0, shed: { queueFull: 0, waitedTooLong: 1 } });
  });

  it('gives the slot back whatever answered the operation: refused by a check, answered without data, or answered', async () => {
    const answers = [
      await graphql(gw.url, FAST_QUERY, { variables: { id: { not: 'an id' } }, purpose: 'support' }),
      await graphql(gw.url, FAST_QUERY, { variables: { id: ID }, purpose: 'support' }),
      await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { id } }', { variables: { id: 'cus_nobody' }, purpose: 'support' }),
      await graphql(gw.url, FAST_QUERY, { variables: { id: ID }, purpose: 'support' }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([400, 200, 200, 200]);
    const state = (await (await fetch(`${gw.url}/readyz`, { headers: { 'x-api-key': 'c360_demo_admin' } })).json()) as { admission: { running: number; queued: number } };
    expect({ running: state.admission.running, queued: state.admission.queued }).toEqual({ running: 0, queued: 0 });
  });

  it('lets a waiting operation run once the slot frees within its wait', async () => {
    crm.fault = { kind: 'delay', ms: 100 };
    const slow = graphql(gw.url, SLOW_QUERY, { variables: { id: ID }, purpose: 'support' });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const started = Date.now();
    const waited = await graphql(gw.url, FAST_QUERY, { variables: { id: ID }, purpose: 'support' });
    expect({ status: waited.status, body: withoutTraceId(waited.body) }).toEqual({ status: 200, body: { data: { customer: { id: ID } } } });
    // It waited for the slow one's slot (about 70 ms), then ran.
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect((await slow).status).toBe(200);
    crm.fault = { kind: 'ok' };
  });
});

describe('the queue: turns per principal, batches weigh more, bounded memory', () => {
  const settings = { maxConcurrent: 4, waitMs: 5_000, queueSize: 6 };
  const held: Admission[] = [];
  const take = async (admission: AdmissionControl, principal: string, weight = 1) => {
    const granted = await admission.admit(principal, weight);
    held.push(granted);
    return granted;
  };

  it('serves waiting principals in turns, not in arrival order', async () => {
    const admission = new AdmissionControl(settings);
    for (let i = 0; i < 4; i++) await take(admission, 'partner');
    const order: string[] = [];
    const waits = [
      ...[1, 2, 3].map((n) => take(admission, 'partner').then(() => order.push(`partner-${n}`))),
      take(admission, 'call-centre').then(() => order.push('call-centre')),
    ];
    expect(admission.state()).toMatchObject({ running: 4, queued: 4 });
    held.splice(0, 4).forEach((h) => h.release());
    await Promise.all(waits);
    // The call centre's single read arrived last, but ran in the first round.
    expect(order).toEqual(['partner-1', 'call-centre', 'partner-2', 'partner-3']);
    held.splice(0).forEach((h) => h.release());
    expect(admission.state()).toMatchObject({ running: 0, queued: 0 });
  });

  it('counts a batch of 100 customers as several slots, at most a quarter of them', () => {
    const admission = new AdmissionControl({ maxConcurrent: 32, waitMs: 100, queueSize: 10 });
    expect([1, 25, 26, 100, 10_000].map((n) => admission.weightOf(n))).toEqual([1, 1, 2, 4, 8]);
    const ids = Array.from({ length: 100 }, (_, i) => `c${i}`);
    const operation = (text: string) => parse(text).definitions[0] as OperationDefinitionNode;
    expect(customersAsked(operation('query($ids: [ID!]!) { customers(ids: $ids) { id } }'), { ids })).toBe(100);
    expect(customersAsked(operation('{ a: customers(ids: ["x", "y"]) { id } b: customers(ids: ["z"]) { id } }'), {})).toBe(3);
    expect(customersAsked(operation('{ ... on Query { customers(ids: ["x", "y"]) { id } } }'), {})).toBe(2);
    expect(customersAsked(operation('{ __typename }'), {})).toBe(1);
  });

  it('a heavy batch waits at the head of its turn; it is not overtaken forever by single reads', async () => {
    const admission = new AdmissionControl(settings);
    for (let i = 0; i < 3; i++) await take(admission, 'call-centre');
    // One slot free: the batch (weight 2) must wait, and a single read behind it in another queue waits for its turn too.
    const batch = take(admission, 'partner', 2);
    const single = take(admission, 'call-centre');
    expect(admission.state()).toMatchObject({ running: 3, queued: 2 });
    held.splice(0, 1)[0]!.release();
    await batch;
    expect(admission.state()).toMatchObject({ running: 4, queued: 1 });
    held.splice(0, 2).forEach((h) => h.release());
    await single;
    held.splice(0).forEach((h) => h.release());
    expect(admission.state()).toMatchObject({ running: 0, queued: 0 });
  });

  it('when the queue is full, the principal with the longest queue gives up its newest waiter', async () => {
    const admission = new AdmissionControl(settings);
    for (let i = 0; i < 4; i++) await take(admission, 'partner');
    const partnerWaits = Array.from({ length: 6 }, () => admission.admit('partner', 1));
    const outcomes = partnerWaits.map((wait) => Promise.resolve(wait).then((granted) => (held.push(granted), 'ran'), (error: Error) => error.message));
    // Full: another partner request is refused at once (its own queue is the longest) …
    expect(() => admission.admit('partner', 1)).toThrow(/busy/);
    // … and a call-centre read takes the place of the partner's newest waiter.
    const centre = Promise.resolve(admission.admit('call-centre', 1)).then((granted) => (held.push(granted), 'ran'));
    expect(admission.state()).toEqual({ limit: 4, running: 4, queued: 6, shed: { queueFull: 2, waitedTooLong: 0 } });
    expect(await outcomes[5]).toMatch(/^The gateway is busy/);
    held.splice(0, 4).forEach((h) => h.release());
    expect(await centre).toBe('ran');
    expect(await Promise.all(outcomes.slice(0, 3))).toEqual(['ran', 'ran', 'ran']);
    admission.close();
    expect((await Promise.all(outcomes)).filter((outcome) => outcome !== 'ran')).toHaveLength(3);
    held.splice(0).forEach((h) => h.release());
  });

  it('is off with C360_MAX_CONCURRENT_OPERATIONS=0 and refuses settings that are not numbers, naming them', () => {
    expect(new AdmissionControl({ maxConcurrent: 0, waitMs: 0, queueSize: 1 }).enabled).toBe(false);
    expect(configFrom({ C360_DEMO: 'true', C360_MAX_CONCURRENT_OPERATIONS: '0' }).hardening.admission.maxConcurrent).toBe(0);
    expect(() => configFrom({ C360_DEMO: 'true', C360_ADMISSION_WAIT_MS: 'soon' })).toThrow(/C360_ADMISSION_WAIT_MS/);
  });
});
