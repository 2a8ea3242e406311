import { spawn } from 'node:child_process';
import { hkdfSync } from 'node:crypto';
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

/**
 * The secret of `hash` pseudonyms in test gateways, so a test can compute the
 * pseudonym it expects (test/support/privacy.ts). Random-looking, as the
 * gateway requires; used nowhere else. The one secret a gateway needs outside
 * demo mode.
 */
export const TEST_PSEUDONYM_KEY = '7f3c9a1e5b8d2f4a6c0e9b7d1a3f5c8e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a';

/**
 * The suppression list's key of every test gateway: derived from
 * TEST_PSEUDONYM_KEY as docs/erasure.md says an operator computes it
 * (HKDF-SHA-256, info `c360/suppression`, 32 bytes, hex), written out here
 * rather than imported, so a change of the derivation fails the tests.
 */
export const TEST_SUPPRESSION_KEY = Buffer.from(hkdfSync('sha256', TEST_PSEUDONYM_KEY, '', 'c360/suppression', 32)).toString('hex');

/**
 * The gateway's entry point from its sources as a real child process (tsx
 * src/main.ts, as `npm run dev` runs it: no build needed; test/container-image.test.ts
 * starts the compiled build the way `npm start` and the image do), with
 * the given environment; `nodeArgs` go to Node before it (e.g. --watch).
 */
export function spawnGateway(env: Record<string, string>, nodeArgs: readonly string[] = []): GatewayProcess {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      C360_SOURCE_TIMEOUT_MS: TEST_SOURCE_TIMEOUT_MS,
      C360_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY,
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
