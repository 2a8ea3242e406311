import { defaultTextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Pool } from 'undici';
import type { CallOptions } from '../resilience/callOptions.js';

/** What an HTTP source needs besides its URL: credentials the operator configures per source (docs/integration.md). */
export interface HttpSourceCredentials {
  /**
   * Sent with every call, e.g. `authorization: Bearer …` or `x-api-key: …`.
   * Secrets: never logged, never in a span or an error message.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Client certificate and key (PEM) for mutual TLS, and the CA (PEM) that signed the server's certificate. */
  readonly tls?: HttpSourceTls | undefined;
}

export interface HttpSourceTls {
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
  readonly passphrase?: string | undefined;
  readonly ca?: string | undefined;
}

export interface HttpSourceOptions extends HttpSourceCredentials {
  /** Base URL; a path prefix is kept (`http://host/api/` calls `http://host/api/members`). */
  readonly url: string;
  /** Keep-alive connections in the pool. */
  readonly connections?: number;
}

const propagator = new W3CTraceContextPropagator();

/**
 * The connection pool and request headers of one HTTP source: keep-alive
 * connections (undici), the operator's static headers and client
 * certificate, and W3C trace context on every call so the source's spans
 * join the request's trace.
 */
export class HttpSource {
  readonly pool: Pool;
  readonly basePath: string;
  private readonly staticHeaders: Readonly<Record<string, string>>;

  constructor(options: HttpSourceOptions) {
    const url = new URL(options.url);
    this.basePath = url.pathname.replace(/\/$/, '');
    this.staticHeaders = options.headers ?? {};
    const tls = options.tls;
    this.pool = new Pool(url.origin, {
      connections: options.connections ?? 32,
      keepAliveTimeout: 30_000,
      pipelining: 1,
      ...(tls ? { connect: { cert: tls.cert, key: tls.key, passphrase: tls.passphrase, ca: tls.ca } } : {}),
    });
  }

  path(path: string): string {
    return `${this.basePath}${path}`;
  }

  /** The headers of one call: the adapter's own, the configured ones, then the call's trace context. */
  headers(own: Readonly<Record<string, string>>, options: CallOptions | undefined): Record<string, string> {
    const headers: Record<string, string> = { ...this.staticHeaders, ...own };
    if (options?.traceContext) propagator.inject(options.traceContext, headers, defaultTextMapSetter);
    return headers;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
