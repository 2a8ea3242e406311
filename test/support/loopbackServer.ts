import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A real HTTP (or, with `tls`, HTTPS) server on loopback, the base of every
 * stub source in the tests: each request's body is read before `handle`, and
 * sockets are tracked so stop() never waits on keep-alive.
 */
export abstract class LoopbackServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly scheme: 'http' | 'https';

  constructor(options: { readonly tls?: HttpsOptions } = {}) {
    const handler = (request: IncomingMessage, response: ServerResponse) => {
      void readBody(request).then((body) => this.handle(request, body, response));
    };
    this.scheme = options.tls ? 'https' : 'http';
    this.server = options.tls ? createHttpsServer(options.tls, handler) : createServer(handler);
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens on loopback, on `port` when given (a service coming back where the gateway expects it); resolves to its URL. */
  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return `${this.scheme}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  protected abstract handle(request: IncomingMessage, body: string, response: ServerResponse): void | Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}
