import { ROOT_CONTEXT, context, defaultTextMapGetter, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOffSampler, InMemorySpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config.js';
import { createTelemetry, samplerFromEnv } from './tracing.js';

describe('tracing without an exporter', () => {
  it('records no span, yet every span carries a trace id (a new one, or the parent’s)', async () => {
    const telemetry = createTelemetry({ env: {} });
    expect(telemetry.exporting).toBe(false);
    const span = telemetry.tracer.startSpan('graphql.query');
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.spanContext().traceId).not.toBe('0'.repeat(32));
    const child = telemetry.tracer.startSpan('c360.source.crm', {}, trace.setSpan(context.active(), span));
    expect(child.spanContext().traceId).toBe(span.spanContext().traceId);
    expect(child.spanContext().spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.spanContext().spanId).not.toBe(span.spanContext().spanId);
    expect(child.isRecording()).toBe(false);
    expect(telemetry.tracer.startSpan('graphql.query').spanContext().traceId).not.toBe(span.spanContext().traceId);
    await telemetry.shutdown();
  });

  it('hands out what the SDK does under an always-off sampler: the remote parent\'s trace and state, unsampled; a root ignores any parent', () => {
    const ours = createTelemetry({ env: {} }).tracer;
    const sdk = new TracerProvider({ sampler: new AlwaysOffSampler() }).getTracer('sdk');
    const remote = new W3CTraceContextPropagator().extract(
      ROOT_CONTEXT,
      { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=opaque' },
      defaultTextMapGetter,
    );
    const shape = (span: Span) => {
      const { traceId, traceFlags, traceState } = span.spanContext();
      return { traceId, traceFlags, traceState: traceState?.serialize(), recording: span.isRecording() };
    };
    expect(shape(ours.startSpan('request', {}, remote))).toEqual(shape(sdk.startSpan('request', {}, remote)));
    expect(shape(ours.startSpan('request', {}, remote))).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', traceFlags: 0, traceState: 'vendor=opaque', recording: false });
    expect(ours.startSpan('request', { root: true }, remote).spanContext().traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    const active = ours.startActiveSpan('job', {}, remote, (span) => span.spanContext().traceId);
    expect(active).toBe('0af7651916cd43dd8448eb211c80319c');
  });
});

describe('sampling when exporting (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG)', () => {
  const sampled = (env: NodeJS.ProcessEnv, spans = 200) => {
    const exporter = new InMemorySpanExporter();
    const telemetry = createTelemetry({ exporter, env });
    for (let i = 0; i < spans; i++) telemetry.tracer.startSpan('op').end();
    return exporter.getFinishedSpans().length;
  };

  it('records every trace by default (parent-based, always on)', () => {
    expect(sampled({})).toBe(200);
  });

  it('keeps about the given share with a parent-based ratio, none with always_off', () => {
    const kept = sampled({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, 2000);
    expect(kept).toBeGreaterThan(300);
    expect(kept).toBeLessThan(700);
    expect(sampled({ OTEL_TRACES_SAMPLER: 'always_off' })).toBe(0);
  });

  it('refuses a sampler or ratio it does not know, naming the variable', () => {
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(ConfigError);
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER must be one of/);
    expect(() => samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/);
  });
});
