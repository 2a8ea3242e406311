import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { DynamoSingleView } from '../../connectors/singleview/dynamodb.js';
import { configFrom } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createGateway } from '../../src/server.js';
import type { Gateway, GatewayDependencies } from '../../src/server.js';
import { createTelemetry } from '../../src/telemetry/tracing.js';
import { TEST_PSEUDONYM_KEY, TEST_SOURCE_TIMEOUT_MS } from './process.js';

export interface TestGateway {
  readonly url: string;
  readonly gateway: Gateway;
  /** Every span the gateway ended, in order. */
  readonly spans: InMemorySpanExporter;
  /** Every log line the gateway wrote, raw JSON text. */
  readonly logs: string[];
  close(): Promise<void>;
}

export { TEST_PSEUDONYM_KEY } from './process.js';

/**
 * Environment every test gateway starts from: memory only, a random port, a
 * small demo set, a source deadline for a loaded machine, and the executor the suite runs under (`C360_EXECUTOR`:
 * `npm test` runs the integration tests under both, see vitest.config.ts).
 */
export const TEST_ENV = {
  C360_DATA_DIR: 'memory',
  C360_PORT: '0',
  C360_LOG_LEVEL: 'info',
  C360_DEMO_CUSTOMERS: '120',
  C360_EXECUTOR: process.env.C360_EXECUTOR,
  C360_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
  // Tests about deadlines set their own.
  C360_SOURCE_TIMEOUT_MS: TEST_SOURCE_TIMEOUT_MS,
  // No background segment index work under tests that count calls or versions; the segment tests turn it on.
  C360_SEGMENTS_WORKER_MS: '0',
} as const;

export interface TestGatewayOptions extends Pick<GatewayDependencies, 'decorateSources'> {
  /** The gateway's clock (default: the system clock). */
  readonly clock?: () => Date;
}

/** A clock a test moves by hand: time-based rules are checked without waiting. */
export class TestClock {
  private ms: number;

  constructor(start: string) {
    this.ms = Date.parse(start);
  }

  readonly now = (): Date => new Date(this.ms);

  set(iso: string): void {
    this.ms = Date.parse(iso);
  }

  advance(minutes: number): void {
    this.ms += minutes * 60_000;
  }

  iso(): string {
    return new Date(this.ms).toISOString();
  }
}

/** The real gateway, listening on loopback, with spans and logs captured. */
export async function startTestGateway(
  env: Record<string, string | undefined> = {},
  options: TestGatewayOptions = {},
): Promise<TestGateway> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const spans = new InMemorySpanExporter();
  const config = configFrom({ ...TEST_ENV, ...env });
  const gateway = await createGateway(config, {
    logger: createLogger(config.logLevel, sink),
    telemetry: createTelemetry({ exporter: spans, env: {} }),
    clock: options.clock,
    decorateSources: options.decorateSources,
  });
  const url = await gateway.listen();
  return { url, gateway, spans, logs, close: () => gateway.close() };
}

/** The test gateway's single view as the DynamoDB adapter it is on the embedded default, to look inside it. */
export function dynamoSingleView(gw: TestGateway): DynamoSingleView {
  const store = gw.gateway.services.sources.singleView;
  if (!(store instanceof DynamoSingleView)) throw new Error('this test needs the DynamoDB single view (the embedded default)');
  return store;
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: {
    data?: T | null;
    errors?: Array<{ message: string; locations?: Array<{ line: number; column: number }>; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
    extensions?: Record<string, unknown>;
  };
}

export interface RequestOptions {
  readonly variables?: Record<string, unknown>;
  readonly apiKey?: string | null;
  readonly purpose?: string;
  readonly headers?: Record<string, string>;
  readonly operationName?: string;
}

/** POST /graphql as a client would send it. Default key: the demo support key. */
export async function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  options: RequestOptions = {},
): Promise<GraphQLResponse<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const apiKey = options.apiKey === undefined ? 'c360_demo_support' : options.apiKey;
  if (apiKey !== null) headers['x-api-key'] = apiKey;
  if (options.purpose) headers['x-c360-purpose'] = options.purpose;
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables: options.variables, operationName: options.operationName }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse<T>['body'] };
}

/** The response without the per-request trace id, so whole bodies can be compared. */
export function withoutTraceId<B extends { extensions?: Record<string, unknown> }>(body: B): B {
  if (!body.extensions) return body;
  const { traceId: _traceId, ...rest } = body.extensions;
  const copy = { ...body };
  if (Object.keys(rest).length === 0) delete copy.extensions;
  else copy.extensions = rest;
  return copy;
}

/**
 * `extensions` of an answer for the call centre's purpose that touched
 * personal fields: `support` releases them all as they are, so none is listed.
 */
export const SUPPORT_RELEASE = { privacy: { purpose: 'SUPPORT', fields: [] } } as const;
