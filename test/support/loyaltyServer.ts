import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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
  | { readonly kind: 'bad-member'; readonly customerRef: string };

/**
 * A real loyalty service on loopback that speaks the contract in
 * docs/loyalty-api.md over members it is given, and can be told to be slow,
 * fail, drop connections or answer garbage. Counts what it was asked.
 */
export class LoyaltyTestServer {
  mode: LoyaltyMode = { kind: 'ok' };
  /** The `ids` of every /members request, in arrival order. */
  readonly requests: string[][] = [];
  /** The customerRef of every DELETE /members/{customerRef}, in arrival order. */
  readonly deletes: string[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly members: Map<string, LoyaltyAccountRecord>;

  constructor(members: readonly LoyaltyAccountRecord[]) {
    this.members = new Map(members.map((member) => [member.customerRef, member]));
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Members the server still holds. */
  has(customerRef: string): boolean {
    return this.members.has(customerRef);
  }

  /** `DELETE /members/{customerRef}`: 204 when it existed, 404 when not; a failing mode answers its status. */
  private erase(customerRef: string, response: ServerResponse): void {
    this.deletes.push(customerRef);
    if (this.mode.kind === 'status') {
      response.writeHead(this.mode.status, { 'content-type': 'application/json' }).end('{"error":"down"}');
      return;
    }
    response.writeHead(this.members.delete(customerRef) ? 204 : 404).end();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://loyalty');
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
      if (mode.kind === 'bad-member' && mode.customerRef === id) return [{ ...member, pointsBalance: 'lots' }];
      return [member];
    });
    if (!response.destroyed) response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ members }));
  }
}
