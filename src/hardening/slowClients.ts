import type { IncomingMessage, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ConnectionTimeouts } from '../config.js';

/** Which limit cut a slow client off. */
export type SlowClientCut = 'headers' | 'body' | 'request';

/** Fastify's options for the timeouts (src/server.ts spreads them into `Fastify(...)`). */
export interface ConnectionOptions {
  readonly requestTimeout: number;
  readonly keepAliveTimeout: number;
  readonly http: ServerOptions;
  readonly clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => void;
}

/**
 * Whether the whole body is already buffered in the request (its declared
 * length has arrived with the headers, as a small body usually does): it
 * cannot trickle, so it needs no deadline. Node sets `complete` only once the
 * body has been read, which the parser has not done yet at preParsing.
 */
function arrived(raw: IncomingMessage): boolean {
  const declared = raw.headers['content-length'];
  if (declared === undefined || raw.headers['transfer-encoding'] !== undefined) return false;
  const length = Number(declared);
  return Number.isSafeInteger(length) && raw.readableLength >= length;
}

/** A body that stopped arriving: answered 408 by the error handler (src/server.ts), then the connection closes. */
export class BodyTimeoutError extends Error {
  override readonly name = 'BodyTimeoutError';
  readonly statusCode = 408;
  readonly code = 'C360_BODY_TIMEOUT';
}

/**
 * Connection and request timeouts (docs/security.md, "Slow clients"), so a
 * client that opens connections and sends slowly cannot hold them:
 * - headers: all of a request's headers within `headersMs` (Node's headersTimeout);
 * - body: the whole body within `bodyMs` after its headers (a preParsing hook);
 * - request: the whole request, headers and body, within `requestMs` (Node's requestTimeout);
 * - keep-alive: an idle connection between requests closes after `keepAliveMs`.
 * Node checks the first and third every `checkEveryMs`. Each cut is counted
 * here (admin /readyz, `slowClients`) and logged without the client's address.
 */
export class SlowClients {
  readonly cut: Record<SlowClientCut, number> = { headers: 0, body: 0, request: 0 };
  /** Sockets whose current request's headers arrived: a timeout there is the request's, not the headers'. */
  private readonly receiving = new WeakSet<Socket>();
  private lastLoggedAt = 0;

  constructor(
    private readonly timeouts: ConnectionTimeouts,
    private readonly logger: Logger,
  ) {}

  fastifyOptions(): ConnectionOptions {
    const { headersMs, requestMs, keepAliveMs } = this.timeouts;
    const checkEveryMs = Math.max(50, Math.min(1_000, Math.floor(headersMs / 4)));
    return {
      requestTimeout: requestMs,
      keepAliveTimeout: keepAliveMs,
      http: { headersTimeout: headersMs, requestTimeout: requestMs, connectionsCheckingInterval: checkEveryMs },
      clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => this.onClientError(error, socket),
    };
  }

  register(app: FastifyInstance): void {
    // Callback hooks: an async one costs every request a promise and a microtask turn.
    app.addHook('onRequest', (request, _reply, done) => {
      if (!request.raw.complete) this.receiving.add(request.raw.socket);
      done();
    });
    app.addHook('preParsing', (request, _reply, payload, done) => {
      const raw = request.raw;
      // With callback hooks this runs while Node is still parsing the chunk that held the headers: a body
      // that came in the same chunk is buffered once that parse returns, which a microtask waits for.
      queueMicrotask(() => {
        if (raw.complete || arrived(raw)) {
          this.receiving.delete(raw.socket);
          done(null, payload);
        } else {
          done(null, this.withDeadline(raw.socket, payload));
        }
      });
    });
  }

  /** The body as the parser reads it, failing with BodyTimeoutError if it has not all arrived in time. */
  private withDeadline(socket: Socket, payload: NodeJS.ReadableStream): PassThrough {
    const body = new PassThrough();
    const timer = setTimeout(() => {
      this.count('body');
      payload.unpipe(body);
      body.destroy(new BodyTimeoutError(`The request body did not arrive within ${this.timeouts.bodyMs} ms.`));
    }, this.timeouts.bodyMs);
    const done = () => {
      clearTimeout(timer);
      this.receiving.delete(socket);
    };
    payload.on('end', done);
    payload.on('close', done);
    payload.on('error', (error: Error) => body.destroy(error));
    payload.pipe(body);
    return body;
  }

  /** Node's own timeouts and malformed requests: answered the way Fastify does, counted when they are timeouts. */
  private onClientError(error: NodeJS.ErrnoException, socket: Socket): void {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timedOut) this.count(this.receiving.has(socket) ? 'request' : 'headers');
    const [status, text] = timedOut ? [408, 'Request Timeout'] : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
    const body = JSON.stringify({ errors: [{ message: timedOut ? 'The request did not arrive in time.' : 'Malformed request.', extensions: { code: 'BAD_REQUEST' } }] });
    if (socket.writable) {
      socket.write(`HTTP/1.1 ${status} ${text}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy();
  }

  /** Counted always; logged at most every 10 s with the running totals, so a flood of slow clients cannot flood the log. */
  private count(cut: SlowClientCut): void {
    this.cut[cut] += 1;
    const now = Date.now();
    if (now - this.lastLoggedAt < 10_000) return;
    this.lastLoggedAt = now;
    this.logger.warn({ cut, totals: { ...this.cut }, timeouts: this.timeouts }, 'slow client cut off');
  }
}
