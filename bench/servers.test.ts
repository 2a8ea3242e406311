import { describe, expect, it } from 'vitest';
import type { RunningServer } from './lib/servers.js';
import { waitSettled } from './lib/servers.js';

/** A server whose CPU time grows at `share` of one core, as /proc would say. */
function busyAt(share: number): RunningServer {
  const started = Date.now();
  return {
    url: 'http://127.0.0.1:1',
    pid: 0,
    stderr: [],
    rssMiB: () => 0,
    cpuMs: () => (Date.now() - started) * share,
    stop: async () => undefined,
  };
}

describe('waiting for a server to settle', () => {
  it('takes a server under --cpu-prof (its profiler alone about 7 % of a core) as quiet under the share it is given', async () => {
    const waited = await waitSettled(busyAt(0.07), 1_000, 0.12);
    expect(waited.settled).toBe(true);
    expect(waited.ms).toBeLessThan(5_000);
  });

  it('takes an idle server as quiet under the usual share', async () => {
    const waited = await waitSettled(busyAt(0.002), 1_000);
    expect(waited).toMatchObject({ settled: true });
  });
});
