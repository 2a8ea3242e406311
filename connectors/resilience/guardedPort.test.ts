import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import type { CallOptions } from './callOptions.js';
import { guardPort } from './guardedPort.js';
import type { GuardPlan } from './guardedPort.js';
import { SourceError } from './sourceError.js';
import { SourceGuard } from './sourceGuard.js';

interface CountingPort {
  read(ids: readonly string[], options?: CallOptions): Promise<string[]>;
  write(id: string, value: string, options?: CallOptions): Promise<void>;
  close(): Promise<void>;
}

/** A port whose first `failures` calls of each method fail like a dropped connection, and which records what each call was handed. */
class FlakyPort implements CountingPort {
  readonly calls: Array<{ method: string; options: CallOptions | undefined }> = [];
  private failed = new Map<string, number>();
  constructor(private readonly failures: number) {}

  private attempt(method: string, options: CallOptions | undefined): void {
    this.calls.push({ method, options });
    const failed = this.failed.get(method) ?? 0;
    if (failed < this.failures) {
      this.failed.set(method, failed + 1);
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    }
  }

  async read(ids: readonly string[], options?: CallOptions): Promise<string[]> {
    this.attempt('read', options);
    return ids.map((id) => `value of ${id}`);
  }

  async write(_id: string, _value: string, options?: CallOptions): Promise<void> {
    this.attempt('write', options);
  }

  async close(): Promise<void> {}
}

const PLAN: GuardPlan<CountingPort> = { read: { kind: 'read', options: 1, batch: 0 }, write: { kind: 'write', options: 2 }, close: 'unguarded' };

function guarded(port: CountingPort) {
  const exporter = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('test');
  const guard = new SourceGuard({ source: 'test', timeoutMs: 2_000, retries: 3, breakerThreshold: 100, halfOpenAfterMs: 1_000, tracer });
  return { port: guardPort(port, guard, PLAN), exporter, tracer };
}

describe('a guarded port', () => {
  it('retries a read, hands the adapter a signal and trace context in place of the caller options, and records a span under the caller span', async () => {
    const raw = new FlakyPort(2);
    const { port, exporter, tracer } = guarded(raw);
    const parent = tracer.startSpan('request');
    expect(await port.read(['a', 'b'], { parentSpan: parent })).toEqual(['value of a', 'value of b']);
    parent.end();
    expect(raw.calls).toHaveLength(3);
    for (const { options } of raw.calls) {
      expect(options?.signal).toBeInstanceOf(AbortSignal);
      expect(trace.getSpan(options!.traceContext!)?.spanContext().traceId).toBe(parent.spanContext().traceId);
    }
    const span = exporter.getFinishedSpans().find((s) => s.name === 'c360.source.test')!;
    expect(span.attributes).toMatchObject({ 'c360.source.operation': 'read', 'c360.source.batch_size': 2, 'c360.source.attempts': 3, 'c360.source.outcome': 'ok' });
    expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
  });

  it('gives a write one attempt, and its failure comes out as a SourceError naming the source', async () => {
    const raw = new FlakyPort(1);
    const { port } = guarded(raw);
    const failure = await port.write('a', 'x').catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SourceError);
    expect((failure as SourceError).source).toBe('test');
    expect(raw.calls.filter((c) => c.method === 'write')).toHaveLength(1);
  });

  it('refuses a plan naming a method the port does not have', () => {
    const guard = new SourceGuard({ source: 'test', timeoutMs: 100, retries: 0, breakerThreshold: 1, halfOpenAfterMs: 1, tracer: trace.getTracer('t') });
    expect(() => guardPort(new FlakyPort(0), guard, { ...PLAN, missing: 'unguarded' } as GuardPlan<CountingPort>)).toThrow('port has no method missing');
  });
});
