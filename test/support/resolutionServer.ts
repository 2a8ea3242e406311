import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A resolution service on loopback speaking docs/resolution-api.md over fixed
 * maps: identifier (`TYPE#value`) → customer id, and customer id → survivor.
 */
export class ResolutionTestServer {
  readonly requests: Array<{ path: string; body: unknown }> = [];
  private readonly server: Server;

  constructor(
    private readonly holders: ReadonlyMap<string, string>,
    private readonly mergedInto: ReadonlyMap<string, string>,
    private readonly known: ReadonlySet<string>,
  ) {
    this.server = createServer((request, response) => {
      let raw = '';
      request.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      request.on('end', () => {
        if (request.method === 'GET' && request.url === '/health') {
          response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
          return;
        }
        const body = JSON.parse(raw || '{}') as { identifiers?: Array<{ type: string; value: string }>; ids?: string[] };
        this.requests.push({ path: request.url ?? '', body });
        const results =
          request.url === '/v1/resolve'
            ? (body.identifiers ?? []).map(({ type, value }) => ({ customerId: this.canonical(this.holders.get(`${type}#${value}`)) }))
            : (body.ids ?? []).map((id) => ({ customerId: this.canonical(id) }));
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
      });
    });
  }

  private canonical(id: string | undefined): string | null {
    let current = id;
    while (current && this.mergedInto.has(current)) current = this.mergedInto.get(current);
    return current && this.known.has(current) ? current : null;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
