import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadGenerator } from './lib/load.js';
import { windowResult } from './lib/window.js';
import type { Answer } from './lib/window.js';

/** An answer sent at `sentAt` ms that took `duration` ms. */
const answer = (sentAt: number, duration: number, status = 200, withErrors = false): Answer => ({ status, bytes: 100, sentAt, doneAt: sentAt + duration, withErrors });

describe('a point measured in its window', () => {
  it('counts the answers that came back in the window, and takes latencies from every request sent in it, however late its answer', () => {
    const inWindow = [...Array.from({ length: 97 }, (_, i) => answer(1_100 + i, 10 + i / 100)), answer(1_300, 40, 503), answer(1_400, 50, 200, true), answer(1_500, 200)];
    const answers = [
      // Sent while the connections settled: a slow one back in the window counts for the rate, not for latency.
      answer(900, 400),
      answer(100, 300),
      ...inWindow,
      // Sent in the window, back after it closed: its latency counts, not for the rate.
      answer(2_950, 100),
      // Sent after the window (the load goes on while the window's last answers come back): neither.
      answer(3_010, 5),
    ];
    const result = windowResult(answers, 1_000, 3_000, { errors: 1, timeouts: 2 }, '"errors":[{"message":"x"}]');
    expect(result).toEqual({
      requestsPerSecond: 50.5,
      // Nearest rank over the 101 sent in the window: the 51st (10.50 ms), 99th (97.5 %) and 100th.
      latency: { p50: 11, p97_5: 50, p99: 100, mean: 13.93, max: 200 },
      preciseLatency: { p50: 10.49, mean: 13.666 },
      completed: 101,
      non2xx: 1,
      errors: 1,
      timeouts: 2,
      responsesWithErrors: 1,
      firstError: '"errors":[{"message":"x"}]',
      bytesPerResponse: 100,
    });
  });

  it('reports an empty window as no answers, not as a failure to compute', () => {
    expect(windowResult([], 0, 1_000, { errors: 0, timeouts: 0 }, undefined)).toMatchObject({ requestsPerSecond: 0, completed: 0, latency: { p50: 0, p99: 0 } });
  });
});

describe('settling the connections before the window (real autocannon over loopback)', () => {
  // Slow for the first 600 ms of each run (as a server letting in a burst of connections is), quick after;
  // or slow from a time on (slowFrom), as a server that pauses near the window's end.
  let slowUntil = 0;
  let slowFrom = Infinity;
  const server = createServer((_request, response) => {
    const now = performance.now();
    setTimeout(() => response.end('{"data":{}}'), now >= slowFrom ? 700 : now < slowUntil ? 150 : 1);
  });
  let url = '';
  const load = new LoadGenerator();

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    load.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const job = (settleSeconds: number) => ({ url, method: 'GET' as const, headers: {}, connections: 8, durationSeconds: 1, settleSeconds });

  it('leaves the slow start out of the window, and says when the window opens and closes', async () => {
    slowUntil = performance.now() + 600;
    const edges: Array<[string, number]> = [];
    const startedAt = performance.now();
    const result = await load.run(job(1), (edge) => edges.push([edge, performance.now() - startedAt]));
    expect(edges.map(([edge]) => edge)).toEqual(['open', 'closed']);
    expect(edges[0]![1]).toBeGreaterThanOrEqual(900);
    expect(edges[1]![1]).toBeGreaterThanOrEqual(1_900);
    expect(result.latency.max).toBeLessThan(100);
    expect(result.completed).toBeGreaterThan(50);
    expect(result.non2xx + result.errors + result.timeouts).toBe(0);
  });

  it('counts every answer of the run without a settle', async () => {
    slowUntil = performance.now() + 600;
    const result = await load.run(job(0));
    expect(result.latency.max).toBeGreaterThanOrEqual(150);
  });

  it("waits for the answers to the window's last requests, and takes their latencies, however late they come", async () => {
    // Quick until the last 300 ms of the window, then 700 ms an answer: every one of those comes back after the window.
    const startedAt = performance.now();
    slowUntil = 0;
    slowFrom = startedAt + 1_700;
    const result = await load.run(job(1));
    const took = performance.now() - startedAt;
    slowFrom = Infinity;
    // One slow answer per connection, all back after the window: counted by their latency (the window's slowest), not by the rate.
    expect(result.latency.max).toBeGreaterThanOrEqual(700);
    expect(result.completed).toBeGreaterThan(50);
    expect(took).toBeGreaterThanOrEqual(2_400);
    expect(took).toBeLessThan(10_000);
    expect(result.non2xx + result.errors + result.timeouts).toBe(0);
  });
});
