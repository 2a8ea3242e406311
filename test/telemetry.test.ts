import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import { configFrom } from '../src/config.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { createLogger } from '../src/logger.js';
import { createGateway } from '../src/server.js';
import { createTelemetry } from '../src/telemetry/tracing.js';
import { demoCustomer } from './support/demo.js';
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

    // The API key lookup before the operation (cached per key) is a trace of its own.
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
    // The reads, then the audit record of what was released, written before the answer left.
    expect(sources).toEqual([
      child('crm', 'getMany'),
      child('loyalty', 'getMany'),
      child('resolution', 'canonicalIds'),
      child('singleview', 'appendAudits'),
      child('singleview', 'getCustomers'),
    ]);

    const { customer, crm, loyalty } = demoCustomer(DEMO_CUSTOMERS.consent.id);
    const personal = [customer.profile.email, customer.profile.phone, customer.profile.firstName, crm!.crmId, loyalty!.memberId, ...customer.identities.map((i) => i.value)];
    const recorded = JSON.stringify(spans.map((span) => [span.name, span.attributes, span.events, span.status]));
    for (const value of personal) expect(recorded).not.toContain(String(value));
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
