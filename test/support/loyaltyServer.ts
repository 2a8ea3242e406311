import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { LoyaltyAccountRecord } from '../../connectors/loyalty/port.js';
import { LoopbackServer } from './loopbackServer.js';

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
export class LoyaltyTestServer extends LoopbackServer {
  mode: LoyaltyMode = { kind: 'ok' };
  /** The `ids` of every /members request, in arrival order. */
  readonly requests: string[][] = [];
  /** The headers of every request, /health included, in arrival order. */
  readonly headers: Array<{ readonly path: string; readonly headers: IncomingHttpHeaders }> = [];
  /** The member id of every DELETE /members/{memberId}, in arrival order. */
  readonly deletes: string[] = [];
  private readonly members: Map<string, LoyaltyAccountRecord>;

  constructor(members: readonly LoyaltyAccountRecord[], options: { readonly tls?: HttpsOptions } = {}) {
    super(options);
    this.members = new Map(members.map((member) => [member.memberId, member]));
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

  protected async handle(request: IncomingMessage, _body: string, response: ServerResponse): Promise<void> {
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
