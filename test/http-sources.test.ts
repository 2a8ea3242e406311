import type { IncomingMessage, ServerResponse } from 'node:http';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpLoyalty } from '../connectors/loyalty/http.js';
import { LOYALTY_CALLS } from '../connectors/loyalty/port.js';
import { guardPort } from '../connectors/resilience/guardedPort.js';
import type { SourceError } from '../connectors/resilience/sourceError.js';
import { SourceGuard } from '../connectors/resilience/sourceGuard.js';
import { HttpResolution } from '../connectors/resolution/http.js';
import { RESOLUTION_CALLS } from '../connectors/resolution/port.js';
import { retryAfterMs } from '../connectors/shared/httpSource.js';
import { LoopbackServer, json } from './support/loopbackServer.js';

/**
 * One status handling for every HTTP source (connectors/shared/httpSource.ts),
 * through the guarded ports the gateway calls: 429 and 5xx retried for reads,
 * after the Retry-After the source asked for; any other 4xx not retried.
 */
type Scripted = { readonly status: number; readonly headers?: Record<string, string> };

/** Answers each request with the next scripted failure, then with a good answer for either contract. */
class ScriptedServer extends LoopbackServer {
  script: Scripted[] = [];
  readonly arrivals: number[] = [];

  protected handle(request: IncomingMessage, body: string, response: ServerResponse): void {
    this.arrivals.push(performance.now());
    const next = this.script.shift();
    if (next) return json(response, next.status, { error: 'scripted' }, next.headers);
    if (request.url?.startsWith('/members')) return json(response, 200, { members: [{ memberId: 'm1', tier: 'GOLD', pointsBalance: 10, lifetimePoints: 20 }] });
    const { identifiers } = JSON.parse(body) as { identifiers: unknown[] };
    return json(response, 200, { results: identifiers.map(() => ({ customerId: 'cus_1' })) });
  }
}

const TIMEOUT_MS = 3_000;
const guard = (source: string) =>
  new SourceGuard({ source, timeoutMs: TIMEOUT_MS, retries: 2, breakerThreshold: 100, halfOpenAfterMs: 1_000, tracer: trace.getTracer('test') });

const server = new ScriptedServer();
let adapters: Array<{ name: string; read: () => Promise<unknown>; close: () => Promise<void> }> = [];

beforeAll(async () => {
  const url = await server.start();
  const loyalty = new HttpLoyalty({ url });
  const resolution = new HttpResolution({ url });
  const guardedLoyalty = guardPort(loyalty, guard('loyalty'), LOYALTY_CALLS);
  const guardedResolution = guardPort(resolution, guard('resolution'), RESOLUTION_CALLS);
  adapters = [
    { name: 'loyalty', read: () => guardedLoyalty.getMany(['m1']), close: () => loyalty.close() },
    { name: 'resolution', read: () => guardedResolution.resolve([{ type: 'EMAIL', value: 'a@example.org' }]), close: () => resolution.close() },
  ];
});

afterAll(async () => {
  for (const adapter of adapters) await adapter.close();
  await server.stop();
});

const failureOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

describe.each(['loyalty', 'resolution'])('the %s HTTP adapter', (name) => {
  const adapter = () => adapters.find((a) => a.name === name)!;
  const run = async (script: Scripted[]) => {
    server.script = [...script];
    server.arrivals.length = 0;
    const started = performance.now();
    const outcome = await adapter()
      .read()
      .then((value) => ({ value }), (error: unknown) => ({ error }));
    return { outcome, calls: server.arrivals.length, waited: server.arrivals.length > 1 ? server.arrivals[1]! - started : 0 };
  };

  it('retries a read answered 429, after the Retry-After the source asked for', async () => {
    const { outcome, calls, waited } = await run([{ status: 429, headers: { 'retry-after': '1' } }]);
    expect(outcome).toHaveProperty('value');
    expect(calls).toBe(2);
    expect(waited).toBeGreaterThanOrEqual(950);
  });

  it('retries a read answered 503 with its own short backoff', async () => {
    const { outcome, calls, waited } = await run([{ status: 503 }]);
    expect(outcome).toHaveProperty('value');
    expect(calls).toBe(2);
    expect(waited).toBeLessThan(900);
  });

  it('does not retry a 4xx other than 429: the same request gets the same answer', async () => {
    const { outcome, calls } = await run([{ status: 400 }, { status: 400 }]);
    expect(calls).toBe(1);
    expect((outcome as { error: SourceError }).error).toMatchObject({ name: 'SourceError', source: name, failure: 'rejected' });
  });

  it('fails at once when the source asks for longer than the deadline', async () => {
    const { outcome, calls } = await run([{ status: 429, headers: { 'retry-after': '60' } }]);
    expect(calls).toBe(1);
    expect((outcome as { error: SourceError }).error).toMatchObject({ source: name, failure: 'unavailable', retryAfterMs: 60_000 });
  });

  it('gives up after its retries when the source keeps failing, naming the status and no body', async () => {
    server.script = [{ status: 502 }, { status: 502 }, { status: 502 }];
    const failure = (await failureOf(adapter().read())) as SourceError;
    expect(failure.failure).toBe('unavailable');
    expect(failure.message).toBe(`${name} source is unavailable: HTTP 502`);
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates, and ignores what it cannot read', () => {
    const now = Date.parse('2026-12-03T08:00:00Z');
    expect(retryAfterMs('2', now)).toBe(2_000);
    expect(retryAfterMs('Thu, 03 Dec 2026 08:00:05 GMT', now)).toBe(5_000);
    expect(retryAfterMs('Thu, 03 Dec 2026 07:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(undefined, now)).toBeUndefined();
  });
});
