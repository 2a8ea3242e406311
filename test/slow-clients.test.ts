import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFrom } from '../src/config.js';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

/**
 * Slow clients (docs/security.md, "Slow clients"): connections that send
 * headers or a body slowly are cut off at the configured timeouts and
 * counted, while clients that send normally are answered as always. Spoken
 * over raw TCP sockets on loopback, as a slowloris probe does.
 */
const HEADERS_MS = 500;
const BODY_MS = 800;
const KEEP_ALIVE_MS = 1_000;
/** Node checks the headers and request deadlines every quarter of the headers timeout here; the machine may be busy. */
const MARGIN_MS = 1_500;

interface RawConnection {
  readonly socket: Socket;
  /** Everything the server sent. */
  received: string;
  /** When the server closed the connection (ms since it was opened), once it has. */
  closedAfterMs?: number;
  readonly closed: Promise<void>;
}

function open(url: string): Promise<RawConnection> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ host: hostname, port: Number(port) });
    let close!: () => void;
    const connection: RawConnection = { socket, received: '', closed: new Promise<void>((done) => (close = done)) };
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (connection.received += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      connection.closedAfterMs = performance.now() - started;
      close();
    });
    socket.once('connect', () => resolve(connection));
    socket.once('error', reject);
  });
}

async function slowClientCounts(url: string): Promise<{ headers: number; body: number; request: number }> {
  const response = await fetch(`${url}/readyz`, { headers: { 'x-api-key': 'c360_demo_admin' } });
  return ((await response.json()) as { slowClients: { headers: number; body: number; request: number } }).slowClients;
}

const QUERY = JSON.stringify({ query: '{ viewer { id } }' });
const HEADERS = (length: number) =>
  `POST /graphql HTTP/1.1\r\nHost: localhost\r\ncontent-type: application/json\r\nx-api-key: c360_demo_support\r\ncontent-length: ${length}\r\n\r\n`;

/** Normal clients, one after another on a keep-alive connection, while the slow ones hold theirs. */
async function normalClients(url: string, count: number): Promise<Array<{ status: number; body: unknown; ms: number }>> {
  const results = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await graphql(url, '{ viewer { id } }');
    results.push({ status: response.status, body: withoutTraceId(response.body), ms: performance.now() - started });
  }
  return results;
}

describe('slow clients are cut off at the timeouts; normal clients are unaffected', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      C360_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      C360_BODY_TIMEOUT_MS: String(BODY_MS),
      C360_REQUEST_TIMEOUT_MS: '5000',
      C360_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
      C360_RATE_LIMIT_PER_MINUTE: '0',
    });
  });
  afterAll(() => gw?.close());

  it('has documented defaults, none of them "never"', () => {
    expect(configFrom({}).hardening.connections).toEqual({ headersMs: 10_000, bodyMs: 10_000, requestMs: 30_000, keepAliveMs: 72_000 });
  });

  it('closes 400 connections that hold partial headers (or send nothing) at the headers timeout, counts them, and answers others meanwhile', async () => {
    const before = await slowClientCounts(gw.url);
    const partial = await Promise.all(Array.from({ length: 300 }, () => open(gw.url)));
    for (const connection of partial) connection.socket.write('POST /graphql HTTP/1.1\r\nHost: localhost\r\nx-api-key: c360_demo_support\r\n');
    const silent = await Promise.all(Array.from({ length: 100 }, () => open(gw.url)));
    const normal = await normalClients(gw.url, 10);
    await Promise.race([Promise.all([...partial, ...silent].map((c) => c.closed)), sleep(HEADERS_MS + MARGIN_MS * 2)]);

    expect(normal.map(({ status, body }) => ({ status, body }))).toEqual(Array(10).fill({ status: 200, body: { data: { viewer: { id: 'key:demo_support' } } } }));
    for (const connection of [...partial, ...silent]) {
      expect(connection.closedAfterMs).toBeDefined();
      expect(connection.closedAfterMs!).toBeLessThan(HEADERS_MS + MARGIN_MS);
    }
    for (const connection of partial) expect(connection.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    const after = await slowClientCounts(gw.url);
    expect(after.headers - before.headers).toBe(400);
  });

  it('cuts off a body trickled a byte at a time with 408 at the body timeout, and counts it', async () => {
    const before = await slowClientCounts(gw.url);
    const connection = await open(gw.url);
    connection.socket.write(HEADERS(QUERY.length));
    const trickle = (async () => {
      for (let i = 0; i < QUERY.length && !connection.socket.destroyed; i++) {
        connection.socket.write(QUERY[i]!);
        await sleep(200);
      }
    })();
    await Promise.race([connection.closed, sleep(BODY_MS + MARGIN_MS * 2)]);
    expect(connection.closedAfterMs).toBeDefined();
    expect(connection.closedAfterMs!).toBeLessThan(BODY_MS + MARGIN_MS);
    const [head, body] = connection.received.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(head!.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(body!)).toEqual({ errors: [{ message: `The request body did not arrive within ${BODY_MS} ms.`, extensions: { code: 'BAD_REQUEST' } }] });
    await trickle;
    const after = await slowClientCounts(gw.url);
    expect(after.body - before.body).toBe(1);
  });

  it('still times out a body whose first half came with its headers (only a body that arrived whole skips the deadline)', async () => {
    const before = await slowClientCounts(gw.url);
    const connection = await open(gw.url);
    connection.socket.write(HEADERS(QUERY.length) + QUERY.slice(0, QUERY.length >> 1));
    await Promise.race([connection.closed, sleep(BODY_MS + MARGIN_MS * 2)]);
    expect(connection.closedAfterMs).toBeDefined();
    expect(connection.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    const after = await slowClientCounts(gw.url);
    expect(after.body - before.body).toBe(1);
  });

  it('answers a body sent in a few pieces within the timeout, and keeps serving a keep-alive connection', async () => {
    const connection = await open(gw.url);
    const exchange = async () => {
      connection.received = '';
      connection.socket.write(HEADERS(QUERY.length));
      const thirds = [QUERY.slice(0, 10), QUERY.slice(10, 20), QUERY.slice(20)];
      for (const piece of thirds) {
        connection.socket.write(piece);
        await sleep(100);
      }
      for (let waited = 0; !connection.received.includes('"data"') && waited < 3_000; waited += 20) await sleep(20);
      return connection.received;
    };
    expect(await exchange()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\{"data":\{"viewer":\{"id":"key:demo_support"\}\}/);
    expect(await exchange()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(connection.closedAfterMs).toBeUndefined();
    connection.socket.destroy();
  });

  it('closes a keep-alive connection left idle past the keep-alive timeout', async () => {
    const connection = await open(gw.url);
    connection.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
    for (let waited = 0; !connection.received.includes('{"status":"ok"}') && waited < 3_000; waited += 10) await sleep(10);
    const idleSince = performance.now();
    expect(connection.received).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*keep-alive: timeout=1\r\n/i);
    await Promise.race([connection.closed, sleep(KEEP_ALIVE_MS + MARGIN_MS * 2)]);
    const idleMs = performance.now() - idleSince;
    expect(connection.closedAfterMs).toBeDefined();
    expect(idleMs).toBeGreaterThanOrEqual(KEEP_ALIVE_MS - 50);
    expect(idleMs).toBeLessThan(KEEP_ALIVE_MS + MARGIN_MS);
  });
});

describe('the whole-request timeout', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_HEADERS_TIMEOUT_MS: '400', C360_BODY_TIMEOUT_MS: '10000', C360_REQUEST_TIMEOUT_MS: '1000' });
  });
  afterAll(() => gw?.close());

  it('cuts off a request whose headers and body together take longer, and counts it', async () => {
    const before = await slowClientCounts(gw.url);
    const connection = await open(gw.url);
    connection.socket.write(HEADERS(QUERY.length));
    for (let i = 0; i < 8 && !connection.socket.destroyed; i++) {
      connection.socket.write(QUERY[i]!);
      await sleep(250);
    }
    await Promise.race([connection.closed, sleep(4_000)]);
    expect(connection.closedAfterMs).toBeDefined();
    expect(connection.closedAfterMs!).toBeLessThan(1_000 + MARGIN_MS);
    expect(connection.received).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    const after = await slowClientCounts(gw.url);
    expect(after.request - before.request).toBe(1);
  });
});
