import { setTimeout as sleep } from 'node:timers/promises';
import { context as otelContext, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
} from 'cockatiel';
import type { IBackoffFactory, IPolicy, IRetryBackoffContext } from 'cockatiel';
import { SourceError } from './sourceError.js';
import type { SourceFailure } from './sourceError.js';

export interface SourceGuardOptions {
  /** Source name as it appears in errors (`extensions.source`), spans and readiness. */
  readonly source: string;
  /** Deadline for the whole call, retries included. */
  readonly timeoutMs: number;
  /** Extra attempts for idempotent reads. Writes are never retried here. */
  readonly retries: number;
  /** Consecutive failures that open the circuit. */
  readonly breakerThreshold: number;
  /** How long an open circuit waits before letting one probe through. */
  readonly halfOpenAfterMs: number;
  /** Benchmark and test setting: latency added before every attempt. */
  readonly injectedLatencyMs?: number;
  /**
   * Calls in flight to the source at once (default: no limit); up to `queue`
   * more wait for a slot, within their deadline, and any beyond are refused
   * at once (SOURCE_UNAVAILABLE, "overloaded"). A call's deadline spent
   * waiting in this queue never counts against the source's breaker.
   */
  readonly concurrency?: number;
  readonly queue?: number;
  readonly tracer: Tracer;
  readonly onCircuitChange?: (state: CircuitStatus) => void;
  /** Told of every finished call: its failure (undefined on success) and seconds taken (the gateway's metrics). */
  readonly observer?: SourceCallObserver | undefined;
}

export type SourceCallObserver = (source: string, call: SourceCall, failure: SourceFailure | undefined, seconds: number) => void;

export type CircuitStatus = 'closed' | 'open' | 'half-open' | 'isolated';

export interface SourceCall {
  /** Port operation, e.g. `getMany`; recorded on the span. */
  readonly operation: string;
  /** Keys in this call, recorded on the span (`c360.source.batch_size`). */
  readonly batchSize: number;
  /** Reads are retried with backoff; writes get a single attempt. */
  readonly idempotent: boolean;
  /** The GraphQL operation span this call belongs under. */
  readonly parentSpan?: Span | undefined;
}

type Outcome = 'ok' | 'timeout' | 'circuit_open' | 'overloaded' | 'error';

/**
 * A call cancelled by its deadline after less than this share of the
 * deadline at the source: the time went on the gateway's own queue, not on a
 * slow source, so the breaker does not count it.
 */
const SOURCE_SHARE_OF_DEADLINE = 0.5;

/** The signal of an in-process call: there is no deadline to run out. */
const NEVER_ABORTED = new AbortController().signal;

/** An attempt whose deadline ran out mostly before it reached the source. */
class DeadlineSpentWaiting extends Error {
  override readonly name = 'DeadlineSpentWaiting';
}

/**
 * Timeout, retry, bulkhead, circuit breaker and span around every call to one
 * source (cockatiel). The deadline covers the whole call, queueing included,
 * so a caller waits at most `timeoutMs` whatever the retries do. The breaker
 * counts failures of the source: errors, and deadlines that ran out while the
 * call was at the source; not calls refused by the bulkhead nor deadlines
 * spent waiting for a slot. Failures come out as SourceError.
 */
export class SourceGuard {
  readonly source: string;
  private readonly options: SourceGuardOptions;
  private readonly reads: IPolicy;
  private readonly writes: IPolicy;
  private readonly breaker;
  /** Set by markInProcess: the adapter answers from this process's memory. */
  private inProcess = false;

  constructor(options: SourceGuardOptions) {
    this.options = options;
    this.source = options.source;
    this.breaker = circuitBreaker(handleWhen((error) => !(error instanceof DeadlineSpentWaiting) && !(error instanceof BulkheadRejectedError)), {
      halfOpenAfter: options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    });
    this.breaker.onStateChange((state) => options.onCircuitChange?.(circuitStatus(state)));
    // abortOnReturn off: aborting every finished call's signal builds a DOMException
    // each time, a few per cent of the gateway's CPU (bench/README.md); a call that
    // times out is still aborted.
    const deadline = timeout(options.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
    // A source that asked for more time than the deadline has left is not asked again in this call.
    const retryReads = retry(handleWhen((error) => isRetryable(error) && !(error instanceof SourceError && (error.retryAfterMs ?? 0) > options.timeoutMs)), {
      maxAttempts: options.retries,
      backoff: respectingRetryAfter(new ExponentialBackoff({ initialDelay: 20, maxDelay: 100 })),
    });
    // Each attempt takes a slot (never held across a retry's backoff), then passes the breaker.
    const slots = options.concurrency === undefined ? undefined : bulkhead(options.concurrency, options.queue ?? 0);
    const attempt = slots ? wrap(slots, this.breaker) : this.breaker;
    this.reads = wrap(deadline, retryReads, attempt);
    this.writes = wrap(deadline, attempt);
  }

  /** Whether a call answers from this process's memory with nothing to wait for (markInProcess took effect). */
  get answersInProcess(): boolean {
    return this.inProcess;
  }

  get circuit(): CircuitStatus {
    return circuitStatus(this.breaker.state);
  }

  /**
   * The port's adapter answers from this process's memory (the embedded CRM
   * and loyalty stores, the memory single view, the embedded resolution
   * engine over it): a call has no connection to lose and nothing to wait
   * for, so it skips what only a remote source needs — the deadline's timer,
   * retries, the bulkhead and the breaker — and keeps the span and the
   * SourceError an adapter's failure becomes. Injected latency (benchmarks)
   * keeps the whole policy. Called once, when the gateway is assembled,
   * for the adapter that is actually wired (src/sources.ts, inProcessAdapter).
   */
  markInProcess(): void {
    if ((this.options.injectedLatencyMs ?? 0) === 0) this.inProcess = true;
  }

  /**
   * Runs `task` under the policy. It gets the attempt's abort signal and the
   * trace context of the call's span, which an HTTP adapter sends on
   * (`traceparent`) so the source's own spans join the request's trace.
   */
  run<T>(call: SourceCall, task: (signal: AbortSignal, traceContext: Context) => Promise<T>): Promise<T> {
    return this.inProcess ? this.runInProcess(call, task) : this.runRemote(call, task);
  }

  /** The call's span and the trace context its adapter gets. */
  private spanOf(call: SourceCall): { readonly span: Span; readonly traceContext: Context } {
    const parent = call.parentSpan ? trace.setSpan(otelContext.active(), call.parentSpan) : otelContext.active();
    // Under a request span whose trace is not sampled (no exporter, or a trace the sampler left out), the call's span
    // would record nothing either (the standard samplers decide a trace as a whole): the request's span stands in
    // for it, and an HTTP source's `traceparent` names that span, in the same trace. The sampled flag, not
    // isRecording(): a request's span has ended when its audit completion is written, whose span is still recorded.
    if (call.parentSpan !== undefined && (call.parentSpan.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return { span: call.parentSpan, traceContext: parent };
    const span = this.options.tracer.startSpan(
      `c360.source.${this.source}`,
      {
        attributes: {
          'c360.source.name': this.source,
          'c360.source.operation': call.operation,
          'c360.source.batch_size': call.batchSize,
        },
      },
      parent,
    );
    return { span, traceContext: trace.setSpan(parent, span) };
  }

  private async runRemote<T>(call: SourceCall, task: (signal: AbortSignal, traceContext: Context) => Promise<T>): Promise<T> {
    const { span, traceContext } = this.spanOf(call);
    const started = performance.now();
    let attempts = 0;
    const policy = call.idempotent ? this.reads : this.writes;
    try {
      const result = await policy.execute(async ({ signal }) => {
        attempts += 1;
        const started = performance.now();
        try {
          const latency = this.options.injectedLatencyMs ?? 0;
          if (latency > 0) await sleep(latency, undefined, { signal });
          return await task(signal, traceContext);
        } catch (error) {
          if (signal.aborted && performance.now() - started < this.options.timeoutMs * SOURCE_SHARE_OF_DEADLINE) {
            throw new DeadlineSpentWaiting('deadline spent waiting for a slot', { cause: error });
          }
          throw error;
        }
      });
      this.finish(span, 'ok', attempts);
      this.options.observer?.(this.source, call, undefined, (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      const failure = this.toSourceError(error);
      this.finish(span, outcomeOf(failure), attempts, failure.message);
      this.options.observer?.(this.source, call, failure.failure, (performance.now() - started) / 1000);
      throw failure;
    }
  }

  /**
   * An in-process call: the adapter's own promise and one `then`, no async
   * frames of the guard's own (every read of a request passes here, several
   * times per request), with the span and the SourceError of a failure as
   * for a remote call.
   */
  private runInProcess<T>(call: SourceCall, task: (signal: AbortSignal, traceContext: Context) => Promise<T>): Promise<T> {
    const { span, traceContext } = this.spanOf(call);
    const started = this.options.observer ? performance.now() : 0;
    const failed = (error: unknown): never => {
      const failure = this.toSourceError(error);
      this.finish(span, outcomeOf(failure), 1, failure.message);
      this.options.observer?.(this.source, call, failure.failure, (performance.now() - started) / 1000);
      throw failure;
    };
    let pending: Promise<T>;
    try {
      pending = task(NEVER_ABORTED, traceContext);
    } catch (error) {
      return Promise.reject(error).catch(failed);
    }
    return pending.then((result) => {
      this.finish(span, 'ok', 1);
      this.options.observer?.(this.source, call, undefined, (performance.now() - started) / 1000);
      return result;
    }, failed);
  }

  private toSourceError(error: unknown): SourceError {
    if (error instanceof SourceError) return error;
    if (error instanceof TaskCancelledError) {
      return new SourceError(this.source, 'timeout', `no answer within ${this.options.timeoutMs} ms`);
    }
    if (error instanceof BrokenCircuitError) {
      return new SourceError(this.source, 'circuit_open', 'recent calls failed; calls are shed until a probe succeeds');
    }
    if (error instanceof BulkheadRejectedError) {
      return new SourceError(this.source, 'overloaded', `more than ${this.options.concurrency ?? 0} calls in flight and ${this.options.queue ?? 0} waiting`);
    }
    if (error instanceof DeadlineSpentWaiting) {
      return new SourceError(this.source, 'timeout', `no answer within ${this.options.timeoutMs} ms`);
    }
    return new SourceError(this.source, 'unavailable', errorSummary(error), { cause: error });
  }

  private finish(span: Span, outcome: Outcome, attempts: number, message?: string): void {
    if (!span.isRecording()) return;
    span.setAttribute('c360.source.outcome', outcome);
    span.setAttribute('c360.source.attempts', attempts);
    if (outcome === 'ok') span.setStatus({ code: SpanStatusCode.OK });
    else span.setStatus({ code: SpanStatusCode.ERROR, message });
    span.end();
  }
}

/**
 * An adapter that answers from this process's memory says so with
 * `inProcess: true`; a wrapper around it (a test's fault injection, a
 * fallback) does not, and keeps the remote policy.
 */
export function isInProcessAdapter(port: unknown): boolean {
  return typeof port === 'object' && port !== null && (port as { inProcess?: unknown }).inProcess === true;
}

function circuitStatus(state: CircuitState): CircuitStatus {
  switch (state) {
    case CircuitState.Closed:
      return 'closed';
    case CircuitState.Open:
      return 'open';
    case CircuitState.HalfOpen:
      return 'half-open';
    case CircuitState.Isolated:
      return 'isolated';
  }
}

function outcomeOf(error: SourceError): Outcome {
  if (error.failure === 'timeout') return 'timeout';
  if (error.failure === 'circuit_open') return 'circuit_open';
  if (error.failure === 'overloaded') return 'overloaded';
  return 'error';
}

type RetryBackoff = IBackoffFactory<IRetryBackoffContext<unknown>>;

/** Jittered exponential backoff, except after an error carrying the source's own Retry-After: then that long. */
function respectingRetryAfter(backoff: RetryBackoff): RetryBackoff {
  return {
    next(context) {
      const step = backoff.next(context);
      const error = 'error' in context.result ? context.result.error : undefined;
      const asked = error instanceof SourceError ? error.retryAfterMs : undefined;
      return { duration: asked ?? step.duration, next: (following) => respectingRetryAfter(step).next(following) };
    },
  };
}

/** A retry helps with a dropped connection or a 5xx, not with a bad payload or a cancelled call. */
function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof BrokenCircuitError || error instanceof TaskCancelledError || error instanceof BulkheadRejectedError) return false;
  if (error instanceof DeadlineSpentWaiting) return false;
  if (error.name === 'AbortError') return false;
  if (error instanceof SourceError) return error.failure === 'unavailable';
  return true;
}

/**
 * A one-line cause without payload data: the error's class and code. Driver
 * messages can quote the query, and a query can hold an identifier.
 */
function errorSummary(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${error.name} ${code}` : error.name;
  }
  return 'unknown failure';
}
