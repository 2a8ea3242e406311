import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadGenerator } from './lib/load.js';
import { windowResult } from './lib/window.js';
import type { Answer } from './lib/window.js';

/** An answer sent at `sentAt` ms that took `duration` ms. */
const answer = (sentAt: number, duration: number, status = 200, withErrors = false): Answer => ({ status, bytes: 100, sentAt, doneAt: sentAt + duration, withErrors });

describe('a point measured in its window', () => {
  it('counts the answers that came back in the window, and takes latencies from the requests sent in it', () => {
    const inWindow = [...Array.from({ length: 97 }, (_, i) => answer(1_100 + i, 10 + i / 100)), answer(1_300, 40, 503), answer(1_400, 50, 200, true), answer(1_500, 200)];
    const answers = [
      // Sent while the connections settled: a slow one back in the window counts for the rate, not for latency.
      answer(900, 400),
      answer(100, 300),
      ...inWindow,
      // Back after the window closed: neither.
      answer(2_950, 100),
    ];
    const result = windowResult(answers, 1_000, 3_000, { errors: 1, timeouts: 2 }, '"errors":[{"message":"x"}]');
    expect(result).toEqual({
      requestsPerSecond: 50.5,
      // Nearest rank over the 100 sent in the window: the 50th, 98th (97.5 %) and 99th slowest.
      latency: { p50: 10, p97_5: 40, p99: 50, mean: 13.07, max: 200 },
      preciseLatency: { p50: 10.49, mean: 12.794 },
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
  // Slow for the first 600 ms of each run (as a server letting in a burst of connections is), quick after.
  let slowUntil = 0;
  const server = createServer((_request, response) => {
    setTimeout(() => response.end('{"data":{}}'), performance.now() < slowUntil ? 150 : 1);
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

  it('leaves the slow start out of the window, and says when the window opens', async () => {
    slowUntil = performance.now() + 600;
    const opened: number[] = [];
    const startedAt = performance.now();
    const result = await load.run(job(1), () => opened.push(performance.now() - startedAt));
    expect(opened).toHaveLength(1);
    expect(opened[0]).toBeGreaterThanOrEqual(900);
    expect(result.latency.max).toBeLessThan(100);
    expect(result.completed).toBeGreaterThan(50);
    expect(result.non2xx + result.errors + result.timeouts).toBe(0);
  });

  it('counts every answer of the run without a settle', async () => {
    slowUntil = performance.now() + 600;
    const result = await load.run(job(0));
    expect(result.latency.max).toBeGreaterThanOrEqual(150);
  });
});
