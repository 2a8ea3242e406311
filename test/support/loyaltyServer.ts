import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { LoyaltyAccountRecord } from '../../connectors/loyalty/port.js';

/** How the fake loyalty service misbehaves. */
export type LoyaltyMode =
  | { readonly kind: 'ok' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'reset' }
  | { readonly kind: 'not-json' }
  | { readonly kind: 'off-contract' }
  | { readonly kind: 'bad-member'; readonly memberId: string };

/**
 * A real loyalty service on loopback that speaks the contract in
 * docs/loyalty-api.md over members it is given (by member id: it knows
 * nothing of c360's ids), and can be told to be slow, fail, drop
 * connections or answer garbage. Counts what it was asked and keeps the
 * headers of every request. With `tls`, it is an HTTPS server (e.g. one that
 * requires a client certificate).
 */
export class LoyaltyTestServer {
  mode: LoyaltyMode = { kind: 'ok' };
  /** The `ids` of every /members request, in arrival order. */
  readonly requests: string[][] = [];
  /** The headers of every request, /health included, in arrival order. */
  readonly headers: Array<{ readonly path: string; readonly headers: IncomingHttpHeaders }> = [];
  /** The member id of every DELETE /members/{memberId}, in arrival order. */
  readonly deletes: string[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly members: Map<string, LoyaltyAccountRecord>;
  private readonly scheme: 'http' | 'https';

  constructor(members: readonly LoyaltyAccountRecord[], options: { readonly tls?: HttpsOptions } = {}) {
    this.members = new Map(members.map((member) => [member.memberId, member]));
    const handler = (request: IncomingMessage, response: ServerResponse) => void this.handle(request, response);
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

  /** Members the server still holds. */
  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  /** `DELETE /members/{memberId}`: 204 when it existed, 404 when not; a failing mode answers its status. */
  private erase(memberId: string, response: ServerResponse): void {
    this.deletes.push(memberId);
    if (this.mode.kind === 'status') {
      response.writeHead(this.mode.status, { 'content-type': 'application/json' }).end('{"error":"down"}');
      return;
    }
    response.writeHead(this.members.delete(memberId) ? 204 : 404).end();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://loyalty');
    this.headers.push({ path: url.pathname, headers: request.headers });
    const mode = this.mode;
    if (url.pathname === '/health') {
      const healthy = mode.kind === 'ok' || mode.kind === 'delay';
      response.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: healthy ? 'ok' : 'down' }));
      return;
    }
    if (request.method === 'DELETE' && url.pathname.startsWith('/members/')) {
      this.erase(decodeURIComponent(url.pathname.slice('/members/'.length)), response);
      return;
    }
    if (url.pathname !== '/members') {
      response.writeHead(404).end();
      return;
    }
    const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
    this.requests.push(ids);
    switch (mode.kind) {
      case 'reset':
        request.socket.destroy();
        return;
      case 'status':
        response.writeHead(mode.status, { 'content-type': 'application/json' }).end('{"error":"down"}');
        return;
      case 'not-json':
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"members": [');
        return;
      case 'off-contract':
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accounts: [] }));
        return;
      case 'delay':
        await new Promise((resolve) => setTimeout(resolve, mode.ms));
        break;
      default:
        break;
    }
    const members: unknown[] = ids.flatMap((id): unknown[] => {
      const member = this.members.get(id);
      if (!member) return [];
      if (mode.kind === 'bad-member' && mode.memberId === id) return [{ ...member, pointsBalance: 'lots' }];
      return [member];
    });
    if (!response.destroyed) response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ members }));
  }
}
