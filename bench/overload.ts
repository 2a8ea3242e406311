import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_MAX_CONCURRENT_OPERATIONS } from '../src/config.js';
import { LoadGenerator } from './lib/load.js';
import type { LoadResult } from './lib/load.js';
import { log } from './lib/log.js';
import { gatewaySpec } from './lib/plan.js';
import { callCentreRequest, graphqlBodies } from './lib/scenarios.js';
import { ROOT, freePort, startServer } from './lib/servers.js';
import type { RunningServer } from './lib/servers.js';

/**
 * `npm run bench -- overload`: admission control measured (docs/security.md,
 * "Overload"), on the embedded default as shipped, with the call-centre query.
 *
 * 1. The limit: call-centre at 64 connections with C360_MAX_CONCURRENT_OPERATIONS
 *    at several values (0 = no admission control); throughput and p50/p99 say
 *    which default keeps the tail short without losing throughput.
 * 2. 10 × overload: ten times as many clients as the gateway runs operations at
 *    once (10 × the default limit, no think time) for 30 s; counts timeouts,
 *    503 OVERLOADED answers (with their Retry-After), and RSS: before (after
 *    a warm-up at the sweep's 64 connections in 10 s slices until a slice grows
 *    RSS by under 3 %, so caches, compiled code and the heaps are at their
 *    working size), at the end of the load, after 15 s of quiet,
 *    and after 15 s more of ordinary traffic (16 connections). This gateway
 *    keeps its data in a data dir on disk, as `npm start` does by default: with
 *    C360_DATA_DIR=memory every stored audit record would be resident memory
 *    too, growth that is data, not the overload's.
 * Writes bench/results/overload-latest.json and the "Overload" section of bench/README.md.
 */
/** BENCH_OVERLOAD_LIMITS=32 (comma-separated) sweeps only those limits. */
const LIMITS = process.env.BENCH_OVERLOAD_LIMITS ? process.env.BENCH_OVERLOAD_LIMITS.split(',').map(Number) : [8, 16, 32, 64, 0];
const SWEEP_CONNECTIONS = 64;
const SWEEP_SECONDS = Number(process.env.BENCH_DURATION ?? 5);
const OVERLOAD_SECONDS = Number(process.env.BENCH_OVERLOAD_SECONDS ?? 30);
const QUIET_SECONDS = 15;
/** The warm-up runs in slices of WARM_SECONDS until a slice grows RSS by less than WARM_STEADY (at most WARM_MAX_SLICES). */
const WARM_SECONDS = 10;
const WARM_STEADY = 0.03;
const WARM_MAX_SLICES = 9;
const ORDINARY_CONNECTIONS = 16;
const README = join(ROOT, 'bench/README.md');
const START = '<!-- overload:start -->';
const END = '<!-- overload:end -->';

interface SweepPoint {
  readonly limit: number;
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly timeouts: number;
}

interface OverloadResult {
  readonly connections: number;
  readonly limit: number;
  readonly seconds: number;
  readonly answered: number;
  readonly answeredPerSecond: number;
  readonly shed: number;
  readonly retryAfter: string | null;
  readonly shedBody: string;
  readonly timeouts: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  /** How long the warm-up ran before `before` was read. */
  readonly warmSeconds: number;
  readonly memory: { readonly before: Memory; readonly atEnd: Memory; readonly afterQuiet: Memory; readonly afterTraffic: Memory };
}

/**
 * The gateway process's resident memory: all of it, and the anonymous part
 * (its heaps and buffers; the rest is files mapped in, LevelDB's tables among
 * them, which the kernel can drop); and its main thread's V8 heap
 * (prom-client's process metrics).
 */
interface Memory {
  readonly rssMiB: number;
  readonly anonMiB: number;
  readonly fileMiB: number;
  readonly heapUsedMiB: number;
  readonly heapTotalMiB: number;
  readonly externalMiB: number;
}

function residentParts(pid: number): { anonMiB: number; fileMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const read = (name: string) => Math.round(Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024);
  return { anonMiB: read('RssAnon'), fileMiB: read('RssFile') };
}

async function heapMiB(metricsPort: number): Promise<Pick<Memory, 'heapUsedMiB' | 'heapTotalMiB' | 'externalMiB'>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const read = (name: string) => Math.round(Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? NaN) / 2 ** 20);
  return { heapUsedMiB: read('nodejs_heap_size_used_bytes'), heapTotalMiB: read('nodejs_heap_size_total_bytes'), externalMiB: read('nodejs_external_memory_bytes') };
}

async function main(): Promise<void> {
  const request = callCentreRequest();
  const [body] = graphqlBodies(request);
  const job = (url: string, connections: number, durationSeconds: number) => ({
    url: `${url}/graphql`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json', ...request.headers },
    body: body!,
    connections,
    durationSeconds,
  });
  const startLoad = loadavg()[0]!.toFixed(1);
  log(`machine: ${cpus().length} cores, load average ${startLoad}`);
  const load = new LoadGenerator();
  const sweep: SweepPoint[] = [];
  let overload: OverloadResult;
  try {
    for (const limit of LIMITS) {
      const server = await startServer(gatewaySpec(`admission@${limit}`, { C360_MAX_CONCURRENT_OPERATIONS: String(limit) }));
      try {
        await load.run(job(server.url, SWEEP_CONNECTIONS, 2));
        const result = await load.run(job(server.url, SWEEP_CONNECTIONS, SWEEP_SECONDS));
        sweep.push(point(limit, result));
        log(`limit ${limit || 'off'} @ ${SWEEP_CONNECTIONS} conn: ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`);
      } finally {
        await server.stop();
      }
    }
    const limit = DEFAULT_MAX_CONCURRENT_OPERATIONS;
    const connections = 10 * limit;
    const dataDir = mkdtempSync(join(tmpdir(), 'c360-overload-'));
    const metricsPort = await freePort();
    const server = await startServer(gatewaySpec('admission-overload', { C360_DATA_DIR: dataDir, C360_METRICS_PORT: String(metricsPort) }));
    const memory = async (): Promise<Memory> => ({ rssMiB: server.rssMiB(), ...residentParts(server.pid), ...(await heapMiB(metricsPort)) });
    try {
      // Warm up until resident memory stops growing: the working size of caches, compiled code and the heaps.
      let warmSlices = 0;
      let before = await memory();
      for (;;) {
        await load.run(job(server.url, SWEEP_CONNECTIONS, WARM_SECONDS));
        warmSlices += 1;
        const now = await memory();
        const grew = (now.rssMiB - before.rssMiB) / before.rssMiB;
        before = now;
        if ((warmSlices > 1 && grew < WARM_STEADY) || warmSlices >= WARM_MAX_SLICES) break;
      }
      log(`warm after ${warmSlices * WARM_SECONDS} s at ${SWEEP_CONNECTIONS} connections: RSS ${before.rssMiB} MiB`);
      const running = load.run(job(server.url, connections, OVERLOAD_SECONDS));
      // One shed answer, read whole, while the load runs: its status, Retry-After and body.
      const sample = await sampleShed(server, request.headers, body!, OVERLOAD_SECONDS * 1000 - 2_000);
      const result = await running;
      const atEnd = await memory();
      await sleep(QUIET_SECONDS * 1000);
      const afterQuiet = await memory();
      await load.run(job(server.url, ORDINARY_CONNECTIONS, QUIET_SECONDS));
      const afterTraffic = await memory();
      overload = {
        connections,
        limit,
        seconds: OVERLOAD_SECONDS,
        answered: result.completed - result.non2xx,
        answeredPerSecond: Math.round((result.completed - result.non2xx) / OVERLOAD_SECONDS),
        shed: result.non2xx,
        retryAfter: sample.retryAfter,
        shedBody: sample.body,
        timeouts: result.timeouts,
        errors: result.errors,
        p50: result.latency.p50,
        p99: result.latency.p99,
        warmSeconds: warmSlices * WARM_SECONDS,
        memory: { before, atEnd, afterQuiet, afterTraffic },
      };
      log(`10 × overload: ${JSON.stringify(overload)}`);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  } finally {
    load.close();
  }
  const results = { date: new Date().toISOString(), cores: cpus().length, node: process.version, loadAverage: startLoad, sweepConnections: SWEEP_CONNECTIONS, sweep, overload };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/overload-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeReadme(results);
  log('bench/README.md "Overload" and bench/results/overload-latest.json updated');
}

function point(limit: number, result: LoadResult): SweepPoint {
  return {
    limit,
    requestsPerSecond: Math.round(result.requestsPerSecond),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    timeouts: result.timeouts,
  };
}

/** Asks until one answer is 503 (or the time is up), and keeps it. */
async function sampleShed(server: RunningServer, headers: Record<string, string>, body: string, withinMs: number): Promise<{ retryAfter: string | null; body: string }> {
  const deadline = Date.now() + withinMs;
  await sleep(2_000);
  while (Date.now() < deadline) {
    const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await response.text();
    if (response.status === 503) return { retryAfter: response.headers.get('retry-after'), body: text.replace(/"traceId":"[0-9a-f]+"/, '"traceId":"…"') };
  }
  return { retryAfter: null, body: 'no request was shed' };
}

function writeReadme(results: { date: string; cores: number; node: string; loadAverage: string; sweep: SweepPoint[]; overload: OverloadResult }): void {
  const { sweep, overload: o } = results;
  const { before, atEnd, afterQuiet, afterTraffic } = o.memory;
  const change = (now: number, then: number) => `${now >= then ? '+' : ''}${(((now - then) / then) * 100).toFixed(1)} %`;
  const from = (m: Memory) =>
    `${m.rssMiB} MiB (${change(m.rssMiB, before.rssMiB)}), of which anonymous ${m.anonMiB} MiB (${change(m.anonMiB, before.anonMiB)}) and files ${m.fileMiB} MiB; main heap ${m.heapUsedMiB} of ${m.heapTotalMiB} MiB`;
  const lines = [
    START,
    `Measured ${results.date.slice(0, 10)} on ${results.cores} cores, Node ${results.node}, embedded default, call-centre query (\`npm run bench -- overload\`), load average ${results.loadAverage} at the start.`,
    '',
    `The limit, at ${SWEEP_CONNECTIONS} connections (C360_MAX_CONCURRENT_OPERATIONS; 0 = no admission control):`,
    '',
    '| limit | req/s | p50 ms | p99 ms | p99 ÷ p50 | shed (503) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...sweep.map((p) => `| ${p.limit || 'off'} | ${p.requestsPerSecond} | ${p.p50} | ${p.p99} | ${(p.p99 / Math.max(1, p.p50)).toFixed(1)} | ${p.non2xx} |`),
    '',
    `10 × overload: ${o.connections} clients without think time (10 × the default limit of ${o.limit}) for ${o.seconds} s:`,
    '',
    '| what | measured | target |',
    '| --- | --- | --- |',
    `| answered 200 | ${o.answered} (${o.answeredPerSecond}/s), p50 ${o.p50} ms, p99 ${o.p99} ms (all answers) | — |`,
    `| shed: 503 OVERLOADED | ${o.shed}${o.retryAfter === null ? ' (the sampling client\'s own requests were all answered; the 503 and its Retry-After are asserted by test/admission.test.ts)' : `, \`Retry-After: ${o.retryAfter}\``} | 503 + Retry-After |`,
    `| timeouts / socket errors | ${o.timeouts} / ${o.errors} | 0 |`,
    `| memory before (after ${o.warmSeconds} s at ${SWEEP_CONNECTIONS} connections, once a 10 s slice grew RSS by under ${WARM_STEADY * 100} %) | RSS ${before.rssMiB} MiB, of which anonymous ${before.anonMiB} MiB and files ${before.fileMiB} MiB; main heap ${before.heapUsedMiB} of ${before.heapTotalMiB} MiB | — |`,
    `| at the end of the load | RSS ${from(atEnd)} | bounded |`,
    `| after ${QUIET_SECONDS} s quiet | RSS ${from(afterQuiet)} | — |`,
    `| after ${QUIET_SECONDS} s more of ordinary traffic (${ORDINARY_CONNECTIONS} connections) | RSS ${from(afterTraffic)} | RSS within 10 % |`,
    '',
    ...(o.retryAfter === null ? [] : [`A shed answer: \`${o.shedBody}\``]),
    END,
  ];
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < 0) throw new Error('bench/README.md has no overload markers');
  writeFileSync(README, readme.slice(0, start) + lines.join('\n') + readme.slice(end + END.length));
}

await main();
