import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { log } from './log.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A process the harness measures: the gateway (dist/src/main.js, as `npm start` runs it) or a baseline (bench/baselines/*.ts, compiled: baselineEntry). */
export interface ServerSpec {
  /** Groups the points that run against one start of this server. */
  readonly key: string;
  /** Entry file, relative to the repository root. */
  readonly entry: string;
  readonly env: Readonly<Record<string, string>>;
  /** How the port is passed: the gateway reads C360_PORT, baselines PORT. */
  readonly portVariable: 'C360_PORT' | 'PORT';
  /** Extra Node flags, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[];
  /** Plain JavaScript (the compiled gateway in dist/, a compiled baseline in bench/.build/): run without tsx, as `npm start` does. */
  readonly compiled?: boolean;
  /**
   * Wait, once healthy, until the process has been quiet this long (see
   * waitSettled): a gateway on the embedded default with a fresh demo data
   * set first backfills its segment index in the background.
   */
  readonly settleMs?: number;
  /** The share of one core under which it counts as quiet (QUIET_SHARE unless said). */
  readonly quietShare?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly pid: number;
  readonly stderr: string[];
  /** Resident memory of the process now, in MiB (Linux). */
  rssMiB(): number;
  /** CPU time the process has used so far (user + system, every thread), in milliseconds (Linux; undefined elsewhere). */
  cpuMs(): number | undefined;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the server as a child process and waits until GET /healthz answers 200. */
export async function startServer(spec: ServerSpec, timeoutMs = 120_000): Promise<RunningServer> {
  const port = await freePort();
  const loader = spec.compiled ? [] : ['--import', 'tsx'];
  const child = spawn(process.execPath, [...(spec.nodeFlags ?? []), ...loader, spec.entry], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      ...spec.env,
      [spec.portVariable]: String(port),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, child, stderr, timeoutMs);
  const server: RunningServer = { url, pid: child.pid!, stderr, rssMiB: () => rssMiB(child.pid!), cpuMs: () => cpuMs(child.pid!), stop: () => stop(child) };
  if (spec.settleMs) {
    const waited = await waitSettled(server, spec.settleMs, spec.quietShare);
    log(`${spec.key}: ${waited.settled ? 'settled' : 'NOT settled'} after ${Math.round(waited.ms / 1000)} s (background work after the start, e.g. a segment backfill)`);
  }
  return server;
}

/** A process counts as quiet while it uses less than this share of one core (an idle gateway uses well under 1 %). */
const QUIET_SHARE = 0.02;
const SETTLE_SAMPLE_MS = 500;
const SETTLE_MAX_MS = 240_000;

/**
 * Waits until the server has used less than `quietShare` of a core over the
 * last `windowMs` (or SETTLE_MAX_MS have passed). A gateway on the embedded
 * default starts on a fresh demo data set in every benchmark run (its data
 * dir is `memory`), and its segments worker runs in rounds every
 * C360_SEGMENTS_WORKER_MS (5 s) with idle gaps between them: the window must
 * be longer than a gap. The demo data now arrives with its segment index
 * built (docs/segments.md), so this normally ends after one window; it
 * stays as the check that no start-up work (a backfill of a data dir loaded
 * before the index existed, for one) is measured with the figures.
 */
export async function waitSettled(server: RunningServer, windowMs: number, quietShare = QUIET_SHARE): Promise<{ settled: boolean; ms: number }> {
  const started = Date.now();
  const samples: number[] = [];
  const size = Math.ceil(windowMs / SETTLE_SAMPLE_MS) + 1;
  while (Date.now() - started < SETTLE_MAX_MS) {
    const cpu = server.cpuMs();
    if (cpu === undefined) return { settled: true, ms: 0 }; // not Linux: nothing to watch
    samples.push(cpu);
    if (samples.length > size) samples.shift();
    if (samples.length === size && samples[size - 1]! - samples[0]! < quietShare * windowMs) return { settled: true, ms: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, SETTLE_SAMPLE_MS));
  }
  return { settled: false, ms: Date.now() - started };
}

async function waitHealthy(url: string, child: ChildProcess, stderr: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr.join('').slice(-2000)}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`server at ${url} did not become healthy in time`);
}

/** SIGTERM, and SIGKILL if it has not exited 20 s later (a --cpu-prof profile is written on exit). */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** utime + stime from /proc/<pid>/stat, in clock ticks of 10 ms (USER_HZ is 100 on Linux). */
function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

function rssMiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** Compiles the gateway when dist/ is missing or stale, as `npm start`'s prestart does; the benchmark measures the compiled build. */
export function buildGateway(): void {
  const built = spawnSync(process.execPath, ['scripts/buildServer.ts', '--if-stale'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`the server build failed (exit ${built.status})`);
}

/** Where tsconfig.bench.json compiles the baselines (git-ignored). */
const BASELINE_BUILD = 'bench/.build';

/**
 * Compiles the baselines (bench/baselines/ and what they import) into
 * bench/.build/ with TypeScript, incrementally, before a run that measures
 * them, so that both sides of every ratio run compiled. They ran through tsx before,
 * and tsx's module hooks are not free at run time: Apollo Server resolves
 * `crypto` with `module.require` for every request's query hash, which
 * under tsx's resolve hook cost bare Apollo about a seventh of its
 * `{ __typename }` rate (15,900 against 18,100 req/s, HISTORY.md), a handicap
 * the compiled gateway did not carry.
 */
export function buildBaselines(): void {
  // An incremental build trusts its record of what it wrote: without the outputs, it starts over.
  if (!existsSync(join(ROOT, baselineEntry('apollo')))) rmSync(join(ROOT, BASELINE_BUILD), { recursive: true, force: true });
  const tsc = fileURLToPath(import.meta.resolve('typescript/bin/tsc'));
  const built = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.bench.json'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`the baselines' build failed (exit ${built.status})`);
}

/** The compiled entry of a baseline (bench/baselines/<name>.ts), as buildBaselines writes it. */
export function baselineEntry(name: 'apollo' | 'direct' | 'dynalite' | 'route' | 'trackWrites'): string {
  return `${BASELINE_BUILD}/bench/baselines/${name}.js`;
}

/**
 * `npm start` until /readyz answers 200, on a data dir whose demo data a
 * first start has already loaded: what a restart costs (a deploy, a crash).
 * `runs` timed starts after the loading one; the process is stopped after each.
 */
export async function measureStartup(env: Readonly<Record<string, string>>, dataDir: string, runs = 3): Promise<{ runsMs: number[]; medianMs: number }> {
  rmSync(dataDir, { recursive: true, force: true });
  const once = async (): Promise<number> => {
    const port = await freePort();
    const started = performance.now();
    const child = spawn('npm', ['start', '--silent'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, C360_DATA_DIR: dataDir, C360_PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    const stderr: string[] = [];
    child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
    try {
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}: ${stderr.join('').slice(-1000)}`);
        try {
          if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return Math.round(performance.now() - started);
        } catch {
          // not listening yet
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error('npm start did not become ready within 120 s');
    } finally {
      // npm runs the gateway as its child (exec in the script): stop the whole group.
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        process.kill(-child.pid!, 'SIGTERM');
      });
    }
  };
  await once(); // loads the demo data into the data dir
  const runsMs: number[] = [];
  for (let i = 0; i < runs; i++) runsMs.push(await once());
  const sorted = [...runsMs].sort((a, b) => a - b);
  return { runsMs, medianMs: sorted[Math.floor(sorted.length / 2)]! };
}
