import { defaultTextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import type { CallOptions } from '../resilience/callOptions.js';
import { SourceError } from '../resilience/sourceError.js';
import type { EraseOutcome } from './erasure.js';

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
 * The HTTP client every HTTP adapter uses (loyalty, resolution): keep-alive
 * connections (undici), the operator's static headers and client
 * certificate, W3C trace context on every call so the source's spans join
 * the request's trace, and one status handling for all of them:
 *
 * - 2xx: the answer (a body that is not JSON is `malformed_payload`);
 * - 429 and 5xx: `unavailable`, which the guard retries for reads within
 *   the deadline, after the `Retry-After` the source asked for if any
 *   (connectors/resilience/sourceGuard.ts);
 * - any other 4xx: `rejected`, never retried: asking again gets the same answer.
 */
export class HttpSource {
  readonly pool: Pool;
  readonly basePath: string;
  private readonly staticHeaders: Readonly<Record<string, string>>;

  constructor(
    /** Source name, as in errors and spans. */
    readonly source: string,
    options: HttpSourceOptions,
  ) {
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

  /** One call; resolves to the status and body whatever the status (see `json` and `erase` for the status handling). */
  async send(
    method: Dispatcher.HttpMethod,
    path: string,
    options: CallOptions | undefined,
    init: { readonly headers?: Readonly<Record<string, string>>; readonly body?: string } = {},
  ): Promise<HttpAnswer> {
    const response = await this.pool.request({
      method,
      path: this.path(path),
      headers: this.headers(init.headers ?? {}, options),
      ...(init.body === undefined ? {} : { body: init.body }),
      signal: options?.signal,
    });
    return { status: response.statusCode, retryAfter: header(response.headers['retry-after']), body: await response.body.text() };
  }

  /** A JSON call: the parsed body of a 2xx answer; SourceError otherwise. */
  async json(method: Dispatcher.HttpMethod, path: string, options: CallOptions | undefined, payload?: unknown): Promise<unknown> {
    const answer = await this.send(method, path, options, {
      headers: payload === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    if (answer.status < 200 || answer.status >= 300) throw this.statusError(answer, 'HTTP');
    try {
      return JSON.parse(answer.body);
    } catch {
      throw new SourceError(this.source, 'malformed_payload', 'body is not JSON');
    }
  }

  /** `DELETE` each path at once: 2xx erased it, 404 found nothing (both mean done); `erased` if any was. SourceError otherwise. */
  async erase(paths: readonly string[], options: CallOptions | undefined): Promise<EraseOutcome> {
    const outcomes = await Promise.all(
      [...new Set(paths)].map(async (path) => {
        const answer = await this.send('DELETE', path, options);
        if (answer.status >= 200 && answer.status < 300) return 'erased';
        if (answer.status === 404) return 'not_found';
        throw this.statusError(answer, 'erase HTTP');
      }),
    );
    return outcomes.includes('erased') ? 'erased' : 'not_found';
  }

  /** `GET /health`: 200 or SourceError. */
  async health(options: CallOptions | undefined): Promise<void> {
    const answer = await this.send('GET', '/health', options);
    if (answer.status !== 200) throw new SourceError(this.source, 'unavailable', `health HTTP ${answer.status}`);
  }

  /** 429 and 5xx: unavailable (retried for reads, after Retry-After); other statuses: rejected. Names the status only, never the body. */
  statusError(answer: HttpAnswer, what: string): SourceError {
    const busy = answer.status === 429 || answer.status >= 500;
    return new SourceError(this.source, busy ? 'unavailable' : 'rejected', `${what} ${answer.status}`, {
      retryAfterMs: busy ? retryAfterMs(answer.retryAfter) : undefined,
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

export interface HttpAnswer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: string;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `Retry-After` as delay-seconds or an HTTP date (RFC 9110), in milliseconds from now; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
