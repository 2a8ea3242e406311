import { createServer, connect } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

/** How the proxy treats traffic to its upstream. */
export type FaultMode =
  | { readonly kind: 'pass' }
  /** Holds every request this long before forwarding it. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Resets every connection as soon as it sends something: the source is down. */
  | { readonly kind: 'reset' }
  /** Answers every request itself with HTTP 200 and a body that is not the payload the client expects. */
  | { readonly kind: 'garbage' }
  /** Resets the connection of every other request and passes the rest: flapping that does not depend on timing. */
  | { readonly kind: 'flapping' };

const GARBAGE = '{"members": [{"tier": 42}, ';
const GARBAGE_RESPONSE =
  'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-amz-crc32: 0\r\n' + `content-length: ${Buffer.byteLength(GARBAGE)}\r\n\r\n${GARBAGE}`;
const REQUEST_LINE = /^[A-Z]+ \S+ HTTP\/1\.[01]\r\n/;

/**
 * A TCP proxy on loopback in front of a real HTTP source (dynalite, the
 * loyalty or resolution test servers) that can make it slow, down or answer
 * garbage, switchable at any time. Counts the HTTP requests that reached it,
 * so a test can tell how many calls a circuit breaker let through.
 */
export class FaultProxy {
  mode: FaultMode = { kind: 'pass' };
  /** HTTP requests received from the gateway, whatever the mode did with them. */
  requests = 0;
  /** Requests that got a fault (reset or garbage) instead of the upstream's answer. */
  faults = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly upstream: { readonly host: string; readonly port: number }) {
    this.server = createServer((client) => this.accept(client));
  }

  static forUrl(url: string): FaultProxy {
    const { hostname, port } = new URL(url);
    return new FaultProxy({ host: hostname, port: Number(port) });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Switches mode and drops open connections, so pooled keep-alive sockets see the new mode at once. */
  set(mode: FaultMode): void {
    if (JSON.stringify(mode) === JSON.stringify(this.mode)) return;
    this.mode = mode;
    for (const socket of this.sockets) socket.destroy();
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  }

  private accept(client: Socket): void {
    this.track(client);
    let upstream: Socket | undefined;
    /** Flapping: whether the request this connection is sending now is one that fails. */
    let failing = false;
    client.on('data', (chunk: Buffer) => {
      const startsRequest = REQUEST_LINE.test(chunk.toString('latin1', 0, 64));
      if (startsRequest) this.requests++;
      const mode = this.mode;
      if (mode.kind === 'flapping' && startsRequest) failing = this.requests % 2 === 1;
      switch (mode.kind) {
        case 'flapping':
          if (!failing) {
            (upstream ??= this.open(client)).write(chunk);
            return;
          }
          this.faults++;
          client.resetAndDestroy();
          return;
        case 'reset':
          this.faults++;
          client.resetAndDestroy();
          return;
        case 'garbage':
          this.faults++;
          client.write(GARBAGE_RESPONSE);
          return;
        case 'delay':
          client.pause();
          setTimeout(() => {
            if (client.destroyed) return;
            client.resume();
            (upstream ??= this.open(client)).write(chunk);
          }, mode.ms);
          return;
        case 'pass':
          (upstream ??= this.open(client)).write(chunk);
      }
    });
    client.on('close', () => upstream?.destroy());
  }

  private open(client: Socket): Socket {
    const upstream = connect(this.upstream.port, this.upstream.host);
    this.track(upstream);
    upstream.on('data', (chunk) => client.write(chunk));
    upstream.on('close', () => client.destroy());
    return upstream;
  }
}
