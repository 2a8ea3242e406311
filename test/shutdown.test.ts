import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { buildBaseSchema } from '../src/graphql/schema.js';
import { descendants } from './support/commands.js';
import { LoyaltyTestServer } from './support/loyaltyServer.js';
import { ROOT, listeningUrl, spawnGateway } from './support/process.js';
import { SUPPORT_RELEASE, graphql, withoutTraceId } from './support/gateway.js';
import { loyaltyOf, testDemoData } from './support/demo.js';

describe('SIGTERM drains requests in flight and closes sources', () => {
  let loyalty: LoyaltyTestServer;
  beforeAll(async () => {
    loyalty = new LoyaltyTestServer(testDemoData().loyalty);
    loyalty.mode = { kind: 'delay', ms: 700 };
  });
  afterAll(() => loyalty?.stop());

  it('finishes a slow request started before the signal, refuses new connections, exits 0', async () => {
    const gateway = spawnGateway({
      C360_DATA_DIR: 'memory',
      C360_PORT: '0',
      C360_DEMO_CUSTOMERS: '20',
      C360_LOYALTY_URL: await loyalty.start(),
      C360_LOYALTY_TIMEOUT_MS: '5000',
    });
    const url = await listeningUrl(gateway);
    const inFlight = graphql(url, 'query($id: ID!) { customer(id: $id) { id loyalty { tier } } }', { variables: { id: DEMO_CUSTOMERS.consent.id }, purpose: 'support' });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the request is now waiting on loyalty
    gateway.child.kill('SIGTERM');

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toEqual({
      customer: { id: DEMO_CUSTOMERS.consent.id, loyalty: { tier: loyaltyOf(DEMO_CUSTOMERS.consent.id)!.tier } },
    });
    const code = await gateway.exited;
    if (code !== 0) console.error(gateway.stdout.join('\n'), gateway.stderr.join(''));
    expect(code).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    const messages = gateway.stdout.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(expect.arrayContaining(['shutting down: draining requests', 'shut down cleanly']));
    expect(messages.indexOf('shut down cleanly')).toBeGreaterThan(messages.indexOf('shutting down: draining requests'));
  });
});

describe('npm start forwards signals to the gateway', () => {
  /**
   * npm signals the process it started; a start script run through a shell
   * would pass SIGTERM to the shell and leave the gateway running with no
   * parent. The script execs node, so the signal reaches the gateway, which
   * drains however the process is stopped.
   */
  // npm start compiles the server first when dist/ is older than the sources (a fresh checkout, an edited file).
  it('drains and exits when SIGTERM goes to the npm process, leaving no gateway behind', { timeout: 120_000 }, async () => {
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', C360_DATA_DIR: 'memory', C360_PORT: '0', C360_DEMO_CUSTOMERS: '10', C360_SOURCE_TIMEOUT_MS: '3000' },
    });
    const stdout: string[] = [];
    npm.stdout.on('data', (chunk: Buffer) => stdout.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    const exited = new Promise<number | null>((resolve) => npm.on('exit', (code) => resolve(code)));
    const logs = () => stdout.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string; url?: string });
    let started: number[] = [];
    try {
      await expect.poll(() => logs().find((line) => line.msg === 'c360 gateway listening'), { timeout: 110_000, interval: 100 }).toBeDefined();
      const { url } = logs().find((line) => line.msg === 'c360 gateway listening')!;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // Every process npm started (the gateway, and a shell if one stood between them).
      started = descendants(npm.pid!);
      expect(started.length).toBeGreaterThan(0);

      npm.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(logs().map((line) => line.msg)).toEqual(expect.arrayContaining(['shutting down: draining requests', 'shut down cleanly']));
      expect(started.filter(isRunning)).toEqual([]);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      // Only if the test failed: an orphaned gateway must not outlive it.
      for (const pid of started.filter(isRunning)) process.kill(pid, 'SIGKILL');
      if (npm.exitCode === null) npm.kill('SIGKILL');
    }
  });
});

/** Alive and not a zombie waiting to be reaped. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  return state !== '' && !state.startsWith('Z');
}

const SHUTTING_DOWN = { errors: [{ message: 'The gateway is shutting down; retry the request.', extensions: { code: 'SHUTTING_DOWN' } }] };

/** What a client saw: an answer, or none because the connection was refused or closed unanswered (the request never ran). */
type Outcome = { readonly kind: 'answer'; readonly status: number; readonly body: unknown } | { readonly kind: 'refused' };

async function attempt(send: () => Promise<{ status: number; body: unknown }>): Promise<Outcome> {
  try {
    const { status, body } = await send();
    return { kind: 'answer', status, body };
  } catch (error) {
    const code = ((error as Error).cause as { code?: string } | undefined)?.code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return { kind: 'refused' };
    throw error;
  }
}

describe('SIGTERM mid-burst: every request is answered in full, refused with 503, or never connected', () => {
  let loyalty: LoyaltyTestServer;
  beforeAll(() => {
    loyalty = new LoyaltyTestServer(testDemoData().loyalty);
    loyalty.mode = { kind: 'delay', ms: 600 };
  });
  afterAll(() => loyalty?.stop());

  it('finishes the burst in flight, answers 503 during the shutdown delay, then refuses connections and exits 0', async () => {
    const gateway = spawnGateway({
      C360_DATA_DIR: 'memory',
      C360_PORT: '0',
      C360_DEMO_CUSTOMERS: '20',
      C360_LOYALTY_URL: await loyalty.start(),
      C360_LOYALTY_TIMEOUT_MS: '5000',
      C360_SHUTDOWN_DELAY_MS: '800',
    });
    const url = await listeningUrl(gateway);
    const id = DEMO_CUSTOMERS.consent.id;
    const full = { customer: { id, loyalty: { tier: loyaltyOf(id)!.tier } } };
    const read = () => attempt(async () => {
      const response = await graphql(url, 'query($id: ID!) { customer(id: $id) { id loyalty { tier } } }', { variables: { id }, purpose: 'support' });
      return { status: response.status, body: withoutTraceId(response.body) };
    });

    const burst = Array.from({ length: 20 }, () => read());
    await new Promise((resolve) => setTimeout(resolve, 250)); // the burst is waiting on loyalty
    gateway.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const duringDelay = await Promise.all(Array.from({ length: 5 }, () => read()));
    const inFlight = await Promise.all(burst);
    const code = await gateway.exited;
    const afterExit = await read();

    // Sent before the signal: answered in full (one that arrived after it may be a 503; none is cut off).
    const accepted = inFlight.filter((outcome) => outcome.kind === 'answer' && outcome.status === 200);
    expect(accepted.length).toBeGreaterThan(0);
    for (const outcome of inFlight) {
      expect([{ kind: 'answer', status: 200, body: { data: full, extensions: SUPPORT_RELEASE } }, { kind: 'answer', status: 503, body: SHUTTING_DOWN }]).toContainEqual(outcome);
    }
    for (const outcome of duringDelay) expect(outcome).toEqual({ kind: 'answer', status: 503, body: SHUTTING_DOWN });
    expect(afterExit).toEqual({ kind: 'refused' });
    if (code !== 0) console.error(gateway.stdout.join('\n'), gateway.stderr.join(''));
    expect(code).toBe(0);
    const messages = gateway.stdout.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages.indexOf('shut down cleanly')).toBeGreaterThan(messages.indexOf('shutting down: draining requests'));
  });
});

describe('SIGTERM mid-burst of writes: no accepted write is lost', () => {
  const track = buildBaseSchema().getMutationType()?.getFields().track;

  it('keeps every event whose track call was answered, across a restart on the same data directory', async () => {
    // A schema without track would make this test prove nothing: fail, never skip.
    expect(track, 'Mutation.track is in the schema').toBeDefined();
    const dataDir = mkdtempSync(join(tmpdir(), 'c360-shutdown-'));
    const env = { C360_DATA_DIR: dataDir, C360_PORT: '0', C360_DEMO_CUSTOMERS: '20', C360_SHUTDOWN_DELAY_MS: '300', C360_RATE_LIMIT_PER_MINUTE: '0' };
    try {
      const first = spawnGateway(env);
      const url = await listeningUrl(first);
      const TRACK = 'mutation($input: TrackInput!) { track(input: $input) { eventId customerId duplicate } }';
      const acceptedIds: string[] = [];
      let stopping = false;
      let n = 0;
      const writer = async () => {
        for (;;) {
          const input = { identity: { type: 'EMAIL', value: DEMO_CUSTOMERS.consent.email }, type: 'Shutdown Test', idempotencyKey: `shutdown-${n++}` };
          const outcome = await attempt(async () => {
            const response = await graphql<{ track: { eventId: string } }>(url, TRACK, { apiKey: 'c360_demo_ingest', variables: { input } });
            return { status: response.status, body: response.body };
          });
          if (outcome.kind === 'refused') return;
          const body = outcome.body as { data?: { track?: { eventId: string } } };
          if (outcome.status === 200 && body.data?.track) acceptedIds.push(body.data.track.eventId);
          else expect(outcome).toEqual({ kind: 'answer', status: 503, body: SHUTTING_DOWN });
          if (stopping && outcome.status === 503) return;
        }
      };
      const writers = Array.from({ length: 8 }, () => writer());
      await new Promise((resolve) => setTimeout(resolve, 400));
      stopping = true;
      first.child.kill('SIGTERM');
      await Promise.all(writers);
      expect(await first.exited).toBe(0);
      expect(acceptedIds.length).toBeGreaterThan(0);

      const second = spawnGateway(env);
      const again = await listeningUrl(second);
      const stored = new Set<string>();
      let after: string | null = null;
      do {
        const page: { data?: { customerByIdentity: { events: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } } } = (
          await graphql(again, 'query($email: String!, $after: String) { customerByIdentity(type: EMAIL, value: $email) { events(first: 100, after: $after, types: ["Shutdown Test"]) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }', {
            variables: { email: DEMO_CUSTOMERS.consent.email, after },
            purpose: 'support',
          })
        ).body as never;
        const events = page.data!.customerByIdentity.events;
        for (const edge of events.edges) stored.add(edge.node.id);
        after = events.pageInfo.hasNextPage ? events.pageInfo.endCursor : null;
      } while (after);
      second.child.kill('SIGTERM');
      await second.exited;
      expect(acceptedIds.filter((eventId) => !stored.has(eventId))).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
