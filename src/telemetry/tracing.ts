import { TraceFlags, context as otelContext, isSpanContextValid, trace } from '@opentelemetry/api';
import type { Context, Span, SpanContext, SpanOptions, Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  RandomIdGenerator,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ConfigError } from '../config.js';

export interface Telemetry {
  readonly tracer: Tracer;
  /** Whether spans leave the process at all; without an exporter none is recorded. */
  readonly exporting: boolean;
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** Test hook: spans go to this exporter synchronously (e.g. InMemorySpanExporter). */
  readonly exporter?: SpanExporter;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Tracing for the gateway (docs/integration.md, "Tracing"). Spans leave the
 * process only when an exporter is set: the OTLP/HTTP exporter when the
 * standard OTEL_* variables ask for it (OTEL_TRACES_EXPORTER=otlp or an
 * OTEL_EXPORTER_OTLP_*ENDPOINT), configured by those same variables.
 *
 * Without an exporter no span is recorded and the SDK is not used
 * (NonRecordingTracer): every span is a non-recording one that still carries
 * a trace id (the caller's, from `traceparent`, or a new one), so
 * `extensions.traceId`, error trace ids and the audit record's trace id work
 * the same, at the cost of two random ids. With one, the standard
 * OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG choose which traces are
 * recorded (samplerFromEnv).
 */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const env = options.env ?? process.env;
  const processors: SpanProcessor[] = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor({ exporter: options.exporter }));
  if (env.OTEL_SDK_DISABLED !== 'true' && wantsOtlp(env)) processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  const exporting = processors.length > 0;
  if (!exporting) return { tracer: new NonRecordingTracer(), exporting, shutdown: async () => undefined };
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'c360' }),
    spanProcessors: processors,
    sampler: samplerFromEnv(env),
  });
  return {
    // Not registered globally: tests run several gateways in one process.
    tracer: provider.getTracer('c360'),
    exporting,
    shutdown: () => provider.shutdown(),
  };
}

/**
 * The tracer when nothing is exported: each span is the API's non-recording
 * span around a span context of its own, a new trace id for a root and the
 * parent's otherwise (with its trace state), ids from the SDK's generator:
 * what the SDK's tracer hands out under an always-off sampler, without its
 * per-span sampling, limits and self-metrics (about 4 % of a `{ __typename }`
 * request's CPU).
 */
export class NonRecordingTracer implements Tracer {
  private readonly ids = new RandomIdGenerator();

  startSpan(_name: string, options?: SpanOptions, context: Context = otelContext.active()): Span {
    const parent = options?.root ? undefined : trace.getSpanContext(context);
    const spanContext: SpanContext =
      parent !== undefined && isSpanContextValid(parent)
        ? { traceId: parent.traceId, spanId: this.ids.generateSpanId(), traceFlags: TraceFlags.NONE, ...(parent.traceState ? { traceState: parent.traceState } : {}) }
        : { traceId: this.ids.generateTraceId(), spanId: this.ids.generateSpanId(), traceFlags: TraceFlags.NONE };
    return trace.wrapSpanContext(spanContext);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, options: SpanOptions, context: Context, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    const parent = rest.length > 2 ? (rest[1] as Context) : otelContext.active();
    const span = this.startSpan(name, options, parent);
    return otelContext.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

/**
 * The sampler the OpenTelemetry specification's variables name:
 * OTEL_TRACES_SAMPLER (default `parentbased_always_on`: every trace, or as
 * the caller's `traceparent` decided) and, for the ratio samplers,
 * OTEL_TRACES_SAMPLER_ARG (0 to 1, default 1). `parentbased_traceidratio`
 * with a small ratio is the usual production choice: a trace a caller
 * sampled stays whole, and of the rest that share is kept. A value outside
 * the list stops the start, naming the variable.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(name)) {
    throw new ConfigError(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}; got "${name}".`);
  }
  const ratio = () => {
    const raw = env.OTEL_TRACES_SAMPLER_ARG;
    if (raw === undefined || raw.trim() === '') return 1;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 1) throw new ConfigError(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 (the share of traces kept); got "${raw}".`);
    return value;
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function wantsOtlp(env: NodeJS.ProcessEnv): boolean {
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim());
  if (exporters.includes('none')) return false;
  return exporters.includes('otlp') || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** For code paths that have no gateway yet. */
export const noopTracer: Tracer = trace.getTracer('c360-noop');
