import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverFor } from './lib/plan.js';
import { VARIANT_LABELS } from './lib/scenarios.js';
import type { Variant } from './lib/scenarios.js';
import type { RunningServer } from './lib/servers.js';
import { ROOT, buildBaselines, startServer, waitSettled } from './lib/servers.js';

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

describe('the servers the benchmark measures', () => {
  const variants = Object.keys(VARIANT_LABELS) as Variant[];

  it('runs every one compiled, the baselines as much as the gateway (under tsx, its hooks cost bare Apollo about a seventh of its no-op rate)', () => {
    const specs = variants.map((variant) => serverFor(variant, 0, 'captures.json'));
    expect(specs.filter((spec) => !spec.compiled).map((spec) => spec.key)).toEqual([]);
    for (const spec of specs) {
      expect(spec.entry).toMatch(/^(dist\/src\/main\.js|bench\/\.build\/bench\/baselines\/\w+\.js)$/);
      const source = spec.entry.replace(/^bench\/\.build\//, '').replace(/\.js$/, '.ts');
      if (spec.entry.startsWith('bench/')) expect(existsSync(join(ROOT, source)), source).toBe(true);
    }
  });

  it('builds the baselines and starts one as plain JavaScript, answering GraphQL', { timeout: 120_000 }, async () => {
    buildBaselines();
    const captures = join(mkdtempSync(join(tmpdir(), 'c360-bench-')), 'captures.json');
    writeFileSync(captures, '{}');
    const server = await startServer(serverFor('bare-apollo-floor', 0, captures));
    try {
      const answer = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect({ status: answer.status, body: await answer.json() }).toEqual({ status: 200, body: { data: { __typename: 'Query' } } });
      // No TypeScript loader in the process: its command line is node and the compiled file alone.
      const command = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      expect(command.slice(1)).toEqual(['bench/.build/bench/baselines/apollo.js']);
    } finally {
      await server.stop();
    }
  });
});
