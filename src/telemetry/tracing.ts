import { trace } from '@opentelemetry/api';
import type { Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';

export interface Telemetry {
  readonly tracer: Tracer;
  shutdown(): Promise<void>;
}

export interface TelemetryOptions {
  /** Test hook: spans go to this exporter synchronously (e.g. InMemorySpanExporter). */
  readonly exporter?: SpanExporter;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Tracing for the gateway. Spans are always created (source calls under the
 * operation span); they leave the process only when an exporter is set: the
 * OTLP/HTTP exporter when the standard OTEL_* variables ask for it
 * (OTEL_TRACES_EXPORTER=otlp or an OTEL_EXPORTER_OTLP_*ENDPOINT), configured
 * by those same variables.
 */
export function createTelemetry(options: TelemetryOptions = {}): Telemetry {
  const env = options.env ?? process.env;
  const processors: SpanProcessor[] = [];
  if (options.exporter) processors.push(new SimpleSpanProcessor({ exporter: options.exporter }));
  if (env.OTEL_SDK_DISABLED !== 'true' && wantsOtlp(env)) processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }));
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'c360' }),
    spanProcessors: processors,
  });
  return {
    // Not registered globally: tests run several gateways in one process.
    tracer: provider.getTracer('c360'),
    shutdown: () => provider.shutdown(),
  };
}

function wantsOtlp(env: NodeJS.ProcessEnv): boolean {
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim());
  if (exporters.includes('none')) return false;
  return exporters.includes('otlp') || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** For code paths that have no gateway yet. */
export const noopTracer: Tracer = trace.getTracer('c360-noop');
