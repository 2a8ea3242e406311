import type { Context, Span } from '@opentelemetry/api';

/**
 * The last argument of every port method that reaches a source. A caller
 * names the span its call belongs under; the guarded port (guardedPort.ts)
 * hands the adapter the attempt's abort signal and the call's trace context.
 */
export interface CallOptions {
  /** The request's span; the source call's span goes under it. Read by the guard, ignored by adapters. */
  readonly parentSpan?: Span | undefined;
  readonly signal?: AbortSignal | undefined;
  /** The source call's span context; HTTP adapters send it on as W3C `traceparent`/`tracestate`. */
  readonly traceContext?: Context | undefined;
}
