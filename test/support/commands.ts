import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Commands the production-build and image tests run as a user or an image
 * would: a shell command to completion, or a long-running server whose JSON
 * log lines are collected.
 */

/** Variables of the test run itself (npm's lifecycle, vitest, the gateway's settings, AWS identities) that a user's shell would not have. */
const RUN_ONLY = /^(npm_|C360_|OTEL_|VITEST|AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|REGION|DEFAULT_REGION|PROFILE)$|NODE_ENV$|NODE_OPTIONS$)/;

/**
 * The environment a user's shell has on this machine: PATH (Node 24 first),
 * HOME and the machine's network settings (proxy, certificate authorities,
 * which npm needs to reach the registry), without what the test run added.
 */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const inherited = Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !RUN_ONLY.test(entry[0]));
  return { ...Object.fromEntries(inherited), ...extra };
}

export interface CommandResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` in a shell in `cwd` and resolves when it exits (never rejects on a non-zero exit). */
export function run(command: string, cwd: string, env: Record<string, string>): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface Server {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
  /** The JSON log lines so far. */
  logs(): Array<{ msg: string; url?: string }>;
  /** Resolves with the URL of the "listening" line; rejects if the process exits first. */
  listening(timeoutMs?: number): Promise<string>;
}

export function startServer(file: string, args: readonly string[], cwd: string, env: Record<string, string>): Server {
  const child = spawn(file, args, { cwd, env });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  // 'close' rather than 'exit': by then everything the process wrote has been read.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let closed = false;
  void exited.then(() => (closed = true));
  const logs = () => stdout.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string; url?: string });
  const listening = async (timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = logs().find((entry) => entry.msg === 'c360 gateway listening');
      if (line?.url) return line.url;
      if (closed) throw new Error(`exited ${String(child.exitCode)}: ${stderr.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('did not start in time');
  };
  return { child, stdout, stderr, exited, logs, listening };
}

/** A TCP port that was free a moment ago (for a setting that must name one, like the image's C360_PORT). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The processes below `pid` (Linux, macOS). */
export function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const [child, ppid] of table) {
      if (ppid === parent) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

/** A process's command line, or undefined when it is gone (Linux /proc). */
export function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}
