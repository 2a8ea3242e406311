import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { EntityResolutionTestServer, ResolutionTestServer } from './support/resolutionServers.js';
import { track } from './support/writes.js';

const stops: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
});

async function gatewayWith(env: Record<string, string>): Promise<TestGateway> {
  const gw = await startTestGateway({ C360_DEMO_CUSTOMERS: '10', ...env });
  stops.push(() => gw.close());
  return gw;
}

async function resolutionStatus(gw: TestGateway): Promise<unknown> {
  const response = await fetch(`${gw.url}/readyz`, { headers: { 'x-api-key': 'c360_demo_admin' } });
  return ((await response.json()) as { sources: { resolution: unknown } }).sources.resolution;
}

const BY_EMAIL = 'query($v: String!) { customerByIdentity(type: EMAIL, value: $v) { id } }';

describe('resolution adapters selected by configuration', () => {
  it('AWS Entity Resolution (C360_AWS_ER_WORKFLOW): identifiers the workflow matched resolve to the customer of their group', async () => {
    const er = new EntityResolutionTestServer('c360-gateway');
    const endpoint = await er.start();
    stops.push(() => er.stop());
    er.group('group-dana', [{ email: DEMO_CUSTOMERS.consent.email }, { email: 'dana.work@example.org' }]);
    const gw = await gatewayWith({ C360_AWS_ER_WORKFLOW: 'c360-gateway', C360_AWS_ER_ENDPOINT: endpoint });

    expect(await resolutionStatus(gw)).toEqual({ status: 'up', required: true, adapter: 'aws-entity-resolution', circuit: 'closed', latencyMs: expect.any(Number) });
    const known = await graphql(gw.url, BY_EMAIL, { variables: { v: DEMO_CUSTOMERS.consent.email } });
    expect(withoutTraceId(known.body)).toEqual({ data: { customerByIdentity: { id: DEMO_CUSTOMERS.consent.id } } });
    const matched = await graphql(gw.url, BY_EMAIL, { variables: { v: ' Dana.Work@Example.org' } });
    expect(withoutTraceId(matched.body)).toEqual({ data: { customerByIdentity: { id: DEMO_CUSTOMERS.consent.id } } });
    expect(er.requests.filter((r) => r.method === 'POST').map((r) => r.body)).toEqual([
      { record: { email: DEMO_CUSTOMERS.consent.email }, applyNormalization: true },
      { record: { email: 'dana.work@example.org' }, applyNormalization: true },
    ]);

    // Writes keep the gateway's graph, which answers first.
    const visitor = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'er-visitor' }, type: 'Page Viewed' });
    const lookup = await graphql(gw.url, 'query { customerByIdentity(type: ANONYMOUS_ID, value: "er-visitor") { id } }');
    expect(withoutTraceId(lookup.body)).toEqual({ data: { customerByIdentity: { id: visitor.customerId } } });
  });

  it('HTTP resolution service (C360_RESOLUTION_URL) answers identifier lookups', async () => {
    const service = new ResolutionTestServer();
    const url = await service.start();
    stops.push(() => service.stop());
    service.customers.add('cus_000004');
    service.links.set('EMAIL#someone@example.com', 'cus_000004');
    const gw = await gatewayWith({ C360_RESOLUTION_URL: url });

    expect(await resolutionStatus(gw)).toEqual({ status: 'up', required: true, adapter: 'http', circuit: 'closed', latencyMs: expect.any(Number) });
    const response = await graphql(gw.url, BY_EMAIL, { variables: { v: 'SomeOne@example.com' } });
    expect(withoutTraceId(response.body)).toEqual({ data: { customerByIdentity: { id: 'cus_000004' } } });
    expect(service.requests).toContain('POST /v1/resolve');

    // What the service does not know, the gateway's own graph answers: demo data and writes.
    const visitor = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'http-visitor' }, type: 'Page Viewed' });
    const fallback = await graphql(gw.url, `query($v: String!) { a: customerByIdentity(type: EMAIL, value: $v) { id } b: customerByIdentity(type: ANONYMOUS_ID, value: "http-visitor") { id } }`, {
      variables: { v: DEMO_CUSTOMERS.noConsent.email },
    });
    expect(withoutTraceId(fallback.body)).toEqual({ data: { a: { id: DEMO_CUSTOMERS.noConsent.id }, b: { id: visitor.customerId } } });
  });
});
