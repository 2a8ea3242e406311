import { ROOT_CONTEXT, SpanKind, defaultTextMapGetter, trace } from '@opentelemetry/api';
import type { Link, Span, Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const propagator = new W3CTraceContextPropagator();

/**
 * The span of one request, in the caller's trace. An incoming W3C
 * `traceparent` (with its `tracestate`) becomes the span's parent when the
 * gateway trusts its callers' traces (C360_TRACE_PARENT=trust, the default);
 * with `link`, the request starts a trace of its own that links to the
 * caller's, so a client cannot choose the trace id the gateway records. A
 * missing or malformed header starts a new trace. Source calls are children
 * of this span and pass its context on (connectors/shared/httpSource.ts).
 */
export function requestSpan(tracer: Tracer, headers: Record<string, string | string[] | undefined>, mode: 'trust' | 'link'): Span {
  if (headers.traceparent === undefined) return tracer.startSpan('c360.graphql.request', { kind: SpanKind.SERVER, root: true }, ROOT_CONTEXT);
  const incoming = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const remote = trace.getSpanContext(incoming);
  const valid = remote !== undefined && trace.isSpanContextValid(remote);
  const links: Link[] = valid && mode === 'link' ? [{ context: remote }] : [];
  return tracer.startSpan(
    'c360.graphql.request',
    { kind: SpanKind.SERVER, links, root: !(valid && mode === 'trust') },
    valid && mode === 'trust' ? incoming : ROOT_CONTEXT,
  );
}
