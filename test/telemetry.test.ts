import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import { configFrom } from '../src/config.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { createLogger } from '../src/logger.js';
import { createGateway } from '../src/server.js';
import { createTelemetry } from '../src/telemetry/tracing.js';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { demoCustomer, testDemoData } from './support/demo.js';
import { LoyaltyTestServer } from './support/loyaltyServer.js';
import { ResolutionTestServer } from './support/resolutionServers.js';
import { TEST_ENV, graphql, startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

describe('a span for every source call, under the operation span', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw?.close());

  it('records source, operation, batch size and outcome, and no personal values', async () => {
    gw.spans.reset();
    const response = await graphql(
      gw.url,
      'query Agent($id: ID!) { customer(id: $id) { id profile { email phone firstName } identities { value } loyalty { memberId } crm { crmId } } }',
      { variables: { id: DEMO_CUSTOMERS.consent.id }, purpose: 'support' },
    );
    expect(response.body.errors).toBeUndefined();
    // The exact audit record replaces the read's intent after the response: wait for it, so its span is here too.
    await gw.gateway.services.audit.settled(DEMO_CUSTOMERS.consent.id);
    const spans = gw.spans.getFinishedSpans();
    const operation = spans.find((span) => span.name === 'graphql.query Agent');
    expect(operation?.attributes).toEqual({
      'c360.principal': 'key:demo_support',
      'c360.purpose': 'SUPPORT',
      'graphql.operation.name': 'Agent',
      'graphql.operation.type': 'query',
      'graphql.errors': 0,
    });
    expect(response.body.extensions?.traceId).toBe(operation!.spanContext().traceId);

    // The API key lookup (cached per key; this is the gateway's first request) is in the request's trace too.
    const sources = spans
      .filter((span) => span.name.startsWith('c360.source.') && span.spanContext().traceId === operation!.spanContext().traceId)
      .map((span) => ({
        name: span.name,
        parent: span.parentSpanContext?.spanId,
        traceId: span.spanContext().traceId,
        status: span.status.code,
        attributes: span.attributes,
      }))
      .sort((a, b) => `${a.name} ${String(a.attributes['c360.source.operation'])}`.localeCompare(`${b.name} ${String(b.attributes['c360.source.operation'])}`));
    const child = (source: string, op: string) => ({
      name: `c360.source.${source}`,
      parent: operation!.spanContext().spanId,
      traceId: operation!.spanContext().traceId,
      status: SpanStatusCode.OK,
      attributes: {
        'c360.source.name': source,
        'c360.source.operation': op,
        'c360.source.batch_size': 1,
        'c360.source.outcome': 'ok',
        'c360.source.attempts': 1,
      },
    });
    // The reads and, beside them, the read's audit intent (written before the answer left), then the exact record in its place.
    expect(sources).toEqual([
      child('crm', 'getMany'),
      child('loyalty', 'getMany'),
      child('resolution', 'canonicalIds'),
      child('singleview', 'appendAudits'),
      child('singleview', 'appendAudits'),
      child('singleview', 'getApiKey'),
      child('singleview', 'getCustomers'),
    ]);

    const { customer, crm, loyalty } = demoCustomer(DEMO_CUSTOMERS.consent.id);
    const personal = [customer.profile.email, customer.profile.phone, customer.profile.firstName, crm!.crmId, loyalty!.memberId, ...customer.identities.map((i) => i.value)];
    const recorded = JSON.stringify(spans.map((span) => [span.name, span.attributes, span.events, span.status]));
    for (const value of personal) expect(recorded).not.toContain(String(value));
  });
});

describe('W3C trace context end to end', () => {
  const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
  const PARENT_ID = '00f067aa0ba902b7';
  const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;
  const QUERY = 'query Traced($id: ID!) { customer(id: $id) { id loyalty { tier } } }';
  let loyalty: LoyaltyTestServer;
  let resolution: ResolutionTestServer;
  let urls: { loyalty: string; resolution: string };
  beforeAll(async () => {
    loyalty = new LoyaltyTestServer(testDemoData().loyalty);
    resolution = new ResolutionTestServer();
    urls = { loyalty: await loyalty.start(), resolution: await resolution.start() };
  });
  afterAll(async () => {
    await loyalty?.stop();
    await resolution?.stop();
  });

  /** A gateway whose loyalty and resolution services are loopback servers that record the headers they get. */
  async function tracedGateway(env: Record<string, string> = {}) {
    // No key cache: every request looks its key up, under its own span.
    return startTestGateway({ C360_LOYALTY_URL: urls.loyalty, C360_RESOLUTION_URL: urls.resolution, C360_API_KEY_CACHE_MS: '0', ...env });
  }

  /** The headers of the last call each service answered (the loyalty service's last /members call). */
  const sentTo = {
    loyalty: () => loyalty.headers.filter((request) => request.path === '/members').at(-1)!.headers,
    resolution: () => resolution.headers.at(-1)!,
  };
  const spanNamed = (gw: TestGateway, name: string, operation?: string) =>
    gw.spans.getFinishedSpans().find((span) => span.name === name && (operation === undefined || span.attributes['c360.source.operation'] === operation))!;

  it('makes the incoming traceparent the parent of the request, its key lookup and its source calls, and passes it on to HTTP sources', async () => {
    const gw = await tracedGateway();
    try {
      loyalty.headers.length = 0;
      resolution.headers.length = 0;
      const response = await graphql(gw.url, QUERY, {
        variables: { id: DEMO_CUSTOMERS.consent.id },
        purpose: 'support',
        headers: { traceparent: TRACEPARENT, tracestate: 'vendor=opaque' },
      });
      expect(response.body).toEqual({
        data: { customer: { id: DEMO_CUSTOMERS.consent.id, loyalty: { tier: demoCustomer(DEMO_CUSTOMERS.consent.id).loyalty!.tier } } },
        extensions: { traceId: TRACE_ID, privacy: { purpose: 'SUPPORT', fields: [] } },
      });
      const operation = spanNamed(gw, 'graphql.query Traced');
      expect({ traceId: operation.spanContext().traceId, parent: operation.parentSpanContext?.spanId, remote: operation.parentSpanContext?.isRemote }).toEqual({
        traceId: TRACE_ID,
        parent: PARENT_ID,
        remote: true,
      });
      const child = (span: ReadableSpan) => ({ traceId: span.spanContext().traceId, parent: span.parentSpanContext?.spanId });
      const underOperation = { traceId: TRACE_ID, parent: operation.spanContext().spanId };
      const keyLookup = spanNamed(gw, 'c360.source.singleview', 'getApiKey');
      const loyaltyCall = spanNamed(gw, 'c360.source.loyalty', 'getMany');
      const resolutionCall = spanNamed(gw, 'c360.source.resolution', 'canonicalIds');
      expect([child(keyLookup), child(loyaltyCall), child(resolutionCall)]).toEqual([underOperation, underOperation, underOperation]);
      // Each HTTP source is told the span of the call it answers, in the caller's trace, with its trace state.
      expect({ traceparent: sentTo.loyalty().traceparent, tracestate: sentTo.loyalty().tracestate }).toEqual({
        traceparent: `00-${TRACE_ID}-${loyaltyCall.spanContext().spanId}-01`,
        tracestate: 'vendor=opaque',
      });
      expect({ traceparent: sentTo.resolution().traceparent, tracestate: sentTo.resolution().tracestate }).toEqual({
        traceparent: `00-${TRACE_ID}-${resolutionCall.spanContext().spanId}-01`,
        tracestate: 'vendor=opaque',
      });
    } finally {
      await gw.close();
    }
  });

  it('starts a trace of its own linked to the caller\'s with C360_TRACE_PARENT=link, and passes its own on', async () => {
    const gw = await tracedGateway({ C360_TRACE_PARENT: 'link' });
    try {
      const response = await graphql(gw.url, QUERY, { variables: { id: DEMO_CUSTOMERS.consent.id }, purpose: 'support', headers: { traceparent: TRACEPARENT } });
      const operation = spanNamed(gw, 'graphql.query Traced');
      const own = operation.spanContext().traceId;
      expect(own).not.toBe(TRACE_ID);
      expect({ traceId: response.body.extensions?.traceId, parent: operation.parentSpanContext, links: operation.links.map((link) => link.context) }).toEqual({
        traceId: own,
        parent: undefined,
        links: [expect.objectContaining({ traceId: TRACE_ID, spanId: PARENT_ID })],
      });
      const loyaltyCall = spanNamed(gw, 'c360.source.loyalty', 'getMany');
      expect(sentTo.loyalty().traceparent).toBe(`00-${own}-${loyaltyCall.spanContext().spanId}-01`);
    } finally {
      await gw.close();
    }
  });

  it.each([
    ['no traceparent', {}],
    ['a malformed traceparent', { traceparent: '00-not-a-trace-01' }],
    ['an all-zero trace id', { traceparent: `00-${'0'.repeat(32)}-${PARENT_ID}-01` }],
  ])('starts a new trace for %s, and answers as usual', async (_name, headers) => {
    const gw = await tracedGateway();
    try {
      const response = await graphql(gw.url, '{ segments { id } }', { headers });
      const operation = gw.spans.getFinishedSpans().find((span) => span.name.startsWith('graphql.query'))!;
      expect({ status: response.status, traceId: response.body.extensions?.traceId, parent: operation.parentSpanContext }).toEqual({
        status: 200,
        traceId: operation.spanContext().traceId,
        parent: undefined,
      });
      expect(operation.spanContext().traceId).not.toBe(TRACE_ID);
    } finally {
      await gw.close();
    }
  });

  it('ends the request span of a request refused before any operation ran', async () => {
    const gw = await tracedGateway();
    try {
      const response = await graphql(gw.url, '{ segments { id } }', { apiKey: 'c360_unknown', headers: { traceparent: TRACEPARENT } });
      expect(response.status).toBe(401);
      const request = gw.spans.getFinishedSpans().find((span) => span.name === 'c360.graphql.request')!;
      expect({ traceId: request.spanContext().traceId, status: request.status }).toEqual({ traceId: TRACE_ID, status: { code: SpanStatusCode.ERROR, message: 'UNAUTHENTICATED' } });
    } finally {
      await gw.close();
    }
  });

  it('lets browsers send traceparent and tracestate (CORS preflight)', async () => {
    const gw = await startTestGateway({ C360_CORS_ORIGINS: 'https://app.example.com' });
    try {
      const response = await fetch(`${gw.url}/graphql`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key,traceparent,tracestate' },
      });
      expect(response.status).toBe(204);
      const allowed = (response.headers.get('access-control-allow-headers') ?? '').split(',').map((header) => header.trim());
      expect(allowed).toEqual(expect.arrayContaining(['traceparent', 'tracestate', 'x-api-key', 'content-type']));
    } finally {
      await gw.close();
    }
  });
});

describe('OTLP export through the standard OTEL_* variables', () => {
  it('sends spans to the collector that OTEL_EXPORTER_OTLP_ENDPOINT names', async () => {
    const received: Array<{ path: string; type: string | undefined; bytes: number }> = [];
    const collector = createServer((request, response) => {
      let bytes = 0;
      request.on('data', (chunk: Buffer) => (bytes += chunk.length));
      request.on('end', () => {
        received.push({ path: request.url ?? '', type: request.headers['content-type'], bytes });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const previous = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint; // read by the exporter itself, as in production
    try {
      const config = configFrom({ ...TEST_ENV });
      const gateway = await createGateway(config, {
        logger: createLogger('silent'),
        telemetry: createTelemetry({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } }),
      });
      const url = await gateway.listen();
      await graphql(url, '{ customer(id: "cus_demo_customer") { id } }');
      await gateway.close(); // flushes the batch processor
    } finally {
      if (previous === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = previous;
      collector.closeAllConnections();
      await new Promise((resolve) => collector.close(resolve));
    }
    expect(received.length).toBeGreaterThan(0);
    expect(received[0]).toEqual({ path: '/v1/traces', type: expect.stringMatching(/^application\/(x-protobuf|json)/), bytes: expect.any(Number) });
    expect(received[0]!.bytes).toBeGreaterThan(0);
  });
});
