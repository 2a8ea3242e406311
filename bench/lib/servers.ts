import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A process the harness measures: the gateway (src/main.ts) or a baseline (bench/baselines/*.ts). */
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
}

export interface RunningServer {
  readonly url: string;
  readonly pid: number;
  readonly stderr: string[];
  /** Resident memory of the process now, in MiB (Linux). */
  rssMiB(): number;
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
  const child = spawn(process.execPath, [...(spec.nodeFlags ?? []), '--import', 'tsx', spec.entry], {
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
  return { url, pid: child.pid!, stderr, rssMiB: () => rssMiB(child.pid!), stop: () => stop(child) };
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

function rssMiB(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}
