import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadGenerator } from './lib/load.js';
import { windowResult } from './lib/window.js';
import type { Answer } from './lib/window.js';

const answer = (duration: number, status = 200, withErrors = false): Answer => ({ status, bytes: 100, duration, withErrors });

describe('a point measured in its window', () => {
  it('takes rate, latencies, failures and bytes from the answers of the window alone', () => {
    const answers = [...Array.from({ length: 97 }, (_, i) => answer(10 + i / 100)), answer(40, 503), answer(50, 200, true), answer(200)];
    const result = windowResult(answers, 2_000, { errors: 1, timeouts: 2 }, '"errors":[{"message":"x"}]');
    expect(result).toEqual({
      requestsPerSecond: 50,
      // Nearest rank over 100 answers: the 50th, 98th (97.5 %) and 99th slowest.
      latency: { p50: 10, p97_5: 40, p99: 50, mean: 13.07, max: 200 },
      preciseLatency: { p50: 10.49, mean: 12.794 },
      completed: 100,
      non2xx: 1,
      errors: 1,
      timeouts: 2,
      responsesWithErrors: 1,
      firstError: '"errors":[{"message":"x"}]',
      bytesPerResponse: 100,
    });
  });

  it('reports an empty window as no answers, not as a failure to compute', () => {
    expect(windowResult([], 1_000, { errors: 0, timeouts: 0 }, undefined)).toMatchObject({ requestsPerSecond: 0, completed: 0, latency: { p50: 0, p99: 0 } });
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
