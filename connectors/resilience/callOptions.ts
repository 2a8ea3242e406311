import type { Context } from '@opentelemetry/api';

/** Passed by SourceGuard to every port method, so an adapter can stop work past its deadline and join the trace. */
export interface CallOptions {
  readonly signal?: AbortSignal | undefined;
  /** The source call's span context; HTTP adapters send it on as W3C `traceparent`/`tracestate`. */
  readonly traceContext?: Context | undefined;
}
