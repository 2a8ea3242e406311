import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface GatewayProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/**
 * The source deadline of every test gateway, in process or child, unless a
 * test sets its own: two test files share CI's two cores, and a healthy
 * source can take longer than the 300 ms default there.
 */
export const TEST_SOURCE_TIMEOUT_MS = '3000';

/** The suppression list's HMAC key of every test gateway (required outside demo mode); a test of the setting sets its own. */
export const TEST_SUPPRESSION_KEY = 'test-suppression-key-0123456789abcdef';

/**
 * `npm start`'s entry point as a real child process (tsx src/main.ts), with
 * the given environment; `nodeArgs` go to Node before it (e.g. --watch).
 */
export function spawnGateway(env: Record<string, string>, nodeArgs: readonly string[] = []): GatewayProcess {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      C360_SOURCE_TIMEOUT_MS: TEST_SOURCE_TIMEOUT_MS,
      C360_SUPPRESSION_KEY: TEST_SUPPRESSION_KEY,
      ...executorEnv(),
      ...env,
    },
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr, exited };
}

/** The executor the suite runs under, passed on to child gateways. */
function executorEnv(): Record<string, string> {
  return process.env.C360_EXECUTOR ? { C360_EXECUTOR: process.env.C360_EXECUTOR } : {};
}

/** Waits for the "listening" log line and returns the URL it names. */
export async function listeningUrl(gateway: GatewayProcess, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const line of gateway.stdout) {
      if (line.includes('c360 gateway listening')) return (JSON.parse(line) as { url: string }).url;
    }
    if (gateway.child.exitCode !== null) throw new Error(`gateway exited: ${gateway.stderr.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('gateway did not start in time');
}
