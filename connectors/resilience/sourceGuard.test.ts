import { setTimeout as sleep } from 'node:timers/promises';
import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { SourceError } from './sourceError.js';
import { SourceGuard } from './sourceGuard.js';

/**
 * The breaker counts failures of the source, not of the gateway's own queue
 * (docs/security.md, "Floods"): a call whose deadline ran out while it waited
 * for a slot never reached the source and says nothing about it.
 */
const guard = (options: { concurrency?: number; queue?: number; breakerThreshold?: number }) =>
  new SourceGuard({ source: 'test', timeoutMs: 100, retries: 0, breakerThreshold: 2, halfOpenAfterMs: 60_000, tracer: trace.getTracer('test'), ...options });

const call = (g: SourceGuard, task: (signal: AbortSignal) => Promise<string>) =>
  g.run({ operation: 'get', batchSize: 1, idempotent: true }, task).then(
    (value) => ({ ok: value }),
    (error: unknown) => ({ failure: error instanceof SourceError ? error.failure : String(error) }),
  );

/** A source that answers after `ms`, or gives up when the call is cancelled. */
const answersAfter = (ms: number) => (signal: AbortSignal) => sleep(ms, 'answer', { signal });

describe('source guard', () => {
  it('keeps the circuit closed when deadlines run out in its own queue, the source answering every call it gets in time', async () => {
    // One counted failure would open it: the call that got its slot with a fifth of its deadline left must not count.
    const g = guard({ concurrency: 1, queue: 20, breakerThreshold: 1 });
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => call(g, answersAfter(40))));
    expect(outcomes.filter((o) => 'ok' in o).length).toBeGreaterThanOrEqual(2);
    expect(outcomes.filter((o) => 'failure' in o)).toEqual(outcomes.filter((o) => 'failure' in o).map(() => ({ failure: 'timeout' })));
    expect(outcomes.some((o) => 'failure' in o)).toBe(true);
    expect(g.circuit).toBe('closed');
  });

  it('opens the circuit when calls run out of deadline at the source', async () => {
    const g = guard({ concurrency: 4, queue: 20 });
    expect(await call(g, answersAfter(500))).toEqual({ failure: 'timeout' });
    expect(await call(g, answersAfter(500))).toEqual({ failure: 'timeout' });
    expect(g.circuit).toBe('open');
    expect(await call(g, answersAfter(1))).toEqual({ failure: 'circuit_open' });
  });

  it('refuses at once what does not fit in flight or in the queue, without counting it against the source', async () => {
    const g = guard({ concurrency: 1, queue: 1 });
    const outcomes = await Promise.all(Array.from({ length: 5 }, () => call(g, answersAfter(20))));
    expect(outcomes).toEqual([{ ok: 'answer' }, { ok: 'answer' }, { failure: 'overloaded' }, { failure: 'overloaded' }, { failure: 'overloaded' }]);
    expect(g.circuit).toBe('closed');
  });
});

describe('source guard of an in-process adapter (markInProcess)', () => {
  it('sets no deadline, retries nothing and never opens its circuit, but still reports failures as SourceError', async () => {
    const g = guard({ breakerThreshold: 1 });
    g.markInProcess();
    // Past the 100 ms deadline a remote call would have: an in-process answer is waited for.
    expect(await call(g, answersAfter(150))).toEqual({ ok: 'answer' });
    let attempts = 0;
    const failing = () => {
      attempts++;
      return Promise.reject(new Error('store bug'));
    };
    expect(await call(g, failing)).toEqual({ failure: 'unavailable' });
    expect(await call(g, failing)).toEqual({ failure: 'unavailable' });
    expect(attempts).toBe(2);
    expect(g.circuit).toBe('closed');
  });

  it('keeps the whole policy when latency is injected (benchmarks measure the remote path)', async () => {
    const g = new SourceGuard({ source: 'test', timeoutMs: 50, retries: 0, breakerThreshold: 5, halfOpenAfterMs: 60_000, tracer: trace.getTracer('test'), injectedLatencyMs: 10 });
    g.markInProcess();
    expect(await call(g, answersAfter(200))).toEqual({ failure: 'timeout' });
  });
});
