import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { generateDemoData } from '../src/embedded/demoData.js';
import type { Captures } from './lib/captures.js';
import { detectFeatures, privacyEnforced } from './lib/features.js';
import type { Features } from './lib/features.js';
import { LoadGenerator } from './lib/load.js';
import { log } from './lib/log.js';
import { currentCommit, describeMachine } from './lib/machine.js';
import { buildRequests, gatewaySpec, planPoints, variantFilter } from './lib/plan.js';
import type { CaptureKey, Point, Requests, Skip } from './lib/plan.js';
import { measurePairs } from './lib/pairs.js';
import { runProfile } from './lib/profile.js';
import { printSummary, writeReport } from './lib/report.js';
import type { BenchResults, PointResult } from './lib/results.js';
import { SCENARIO_NAMES, graphqlBodies } from './lib/scenarios.js';
import type { ScenarioName } from './lib/scenarios.js';
import { ROOT, buildBaselines, buildGateway, measureStartup, startServer } from './lib/servers.js';
import type { RunningServer } from './lib/servers.js';
import { spawnSync } from 'node:child_process';

/**
 * `npm run bench [-- <scenario>...]`: starts each server as its own process
 * (the gateway on the embedded default, then each baseline), drives it with
 * autocannon from another process, and writes bench/results/<date>-<commit>.json.
 * A run of the whole default set also rewrites the figures in
 * bench/README.md and the chart. `soak`, `profile` and `overload` run alone.
 */
const DURATION_SECONDS = Number(process.env.BENCH_DURATION ?? 3);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP ?? 1);
/**
 * Seconds each point's own connections run before its window opens: a
 * point measures answers on open connections, not the opening of them.
 * Node 24's event loop accepts one new connection per turn, so when all of
 * a point's connections open at once against a busy server, the last are
 * accepted hundreds of milliseconds late (bench/README.md, "How it measures").
 */
const SETTLE_SECONDS = Number(process.env.BENCH_SETTLE ?? 1);
/** Rounds of the ratio targets' comparisons in alternation (lib/pairs.ts); 0 leaves them out. */
const PAIR_ROUNDS = Number(process.env.BENCH_PAIR_ROUNDS ?? 5);
/** A point with fewer answers than this is measured again, for longer. */
const MIN_ANSWERS = 10;
const RESULTS_DIR = join(ROOT, 'bench/results');
const WORK_DIR = join(ROOT, '.tmp/bench');

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  // The soak has its own script (bench/soak.ts, also `npm run bench:soak`).
  if (args.includes('soak')) {
    const soak = spawnSync(process.execPath, ['--import', 'tsx', 'bench/soak.ts'], { stdio: 'inherit' });
    process.exitCode = soak.status ?? 1;
    return;
  }
  // Admission control under 10 × overload (bench/overload.ts).
  if (args.includes('overload')) {
    const overload = spawnSync(process.execPath, ['--import', 'tsx', 'bench/overload.ts'], { stdio: 'inherit' });
    process.exitCode = overload.status ?? 1;
    return;
  }
  if (args.includes('profile')) {
    buildGateway();
    return runProfile(args.filter((arg) => arg !== 'profile'));
  }
  // `npm run bench -- report [results.json]`: the report again from a whole run's JSON (after a change to the report code), without measuring.
  if (args[0] === 'report') {
    const file = args[1] ?? join(RESULTS_DIR, 'latest.json');
    const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
    printSummary(results);
    writeReport(results, file);
    return;
  }
  const unknown = args.filter((arg) => !(SCENARIO_NAMES as readonly string[]).includes(arg));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}; choose from ${[...SCENARIO_NAMES, 'soak', 'profile', 'overload'].join(', ')}`);
  const scenarios = args.length > 0 ? (args as ScenarioName[]) : [...SCENARIO_NAMES];
  const whole = scenarios.length === SCENARIO_NAMES.length && !variantFilter();
  buildGateway();
  buildBaselines();
  const results = await runScenarios(scenarios, whole);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${results.date.slice(0, 16).replace(/:/g, '-')}-${results.commit.slice(0, 8)}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  printSummary(results);
  log(`results: ${file}`);
  if (whole) {
    writeReport(results, file);
    log('bench/README.md figures, bench/results/latest.json and bench/results/latency.svg updated');
  } else {
    log('a partial run leaves bench/README.md as it is (it shows whole runs only)');
  }
}

async function runScenarios(scenarios: readonly ScenarioName[], whole: boolean): Promise<BenchResults> {
  const started = Date.now();
  const machine = describeMachine();
  const { commit, dirty } = currentCommit();
  log(`machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, load average ${machine.loadAverageAtStart}`);
  log(`scenarios: ${scenarios.join(', ')}; ${WARMUP_SECONDS} s warm-up + ${SETTLE_SECONDS} s settle + ${DURATION_SECONDS} s per point`);
  if (machine.loadAverageAtStart > machine.cores) log(`warning: load average ${machine.loadAverageAtStart} on ${machine.cores} cores: other work is running, figures will be low and noisy`);

  const demo = generateDemoData({ customers: 1000, seed: 360 });
  const notes: string[] = [];
  const load = new LoadGenerator();
  // The reference only answers the captures: no need to wait for its background work.
  const reference = await startServer({ ...gatewaySpec('gateway@0', { C360_INJECT_LATENCY_MS: '0' }), settleMs: undefined });
  try {
    const features = await detectFeatures(reference.url);
    log(`features: ${describeFeatures(features)}`);
    const { requests, skips } = buildRequests(features, demo);
    const capturesFile = join(WORK_DIR, 'captures.json');
    const captures = await capture(reference.url, requests, skips, notes);
    mkdirSync(WORK_DIR, { recursive: true });
    writeFileSync(capturesFile, JSON.stringify(captures));
    const { points, skipped } = planPoints(scenarios, requests, skips, demo, capturesFile);
    if (!features.privacyEnforced) {
      const reason = 'needs privacy enforcement (issue 4) to compare with it switched off; this build releases every field';
      moveToSkipped(points, skipped, 'gateway-privacy-off', reason);
    }
    for (const skip of skipped) log(`SKIPPED ${skip.scenario} / ${skip.variant}: ${skip.reason}`);
    log(`${points.length} points to measure`);
    // The reference served the captures; every point runs on a server started for it (see ownServer).
    await reference.stop();
    const measured = await measureAll(points, skipped, load, captures, notes);
    // The ratio targets again, both sides up at once and measured in turn (lib/pairs.ts).
    const pairs = PAIR_ROUNDS > 0 ? await measurePairs(points, load, { rounds: PAIR_ROUNDS, sliceSeconds: DURATION_SECONDS, settleSeconds: SETTLE_SECONDS, warmupSeconds: Math.max(WARMUP_SECONDS, 3), drain }, notes) : [];
    // Issue 18: how long a restart takes, measured last so it competes with no server.
    const startup = whole || process.env.BENCH_STARTUP === '1' ? await measureStartup(gatewaySpec('startup').env, join(WORK_DIR, 'startup-data')) : undefined;
    if (startup) log(`npm start to ready, data already loaded: ${startup.medianMs} ms (runs: ${startup.runsMs.join(', ')} ms)`);
    return {
      version: 1,
      date: new Date(started).toISOString(),
      commit,
      dirty,
      machine,
      loadAverageAtEnd: Math.round(loadavg()[0]! * 100) / 100,
      settings: { durationSeconds: DURATION_SECONDS, warmupSeconds: WARMUP_SECONDS, settleSeconds: SETTLE_SECONDS },
      scenarios,
      points: measured,
      pairs,
      skipped,
      notes,
      elapsedSeconds: Math.round((Date.now() - started) / 1000),
      ...(startup ? { startup } : {}),
    };
  } finally {
    await reference.stop();
    load.close();
  }
}

/** Runs the points server by server, in plan order, each server started for its points and stopped after them. */
async function measureAll(points: Point[], skipped: Skip[], load: LoadGenerator, captures: Captures, notes: string[]): Promise<PointResult[]> {
  const results: PointResult[] = [];
  const keys = [...new Set(points.map((point) => point.server.key))];
  for (const key of keys) {
    const group = points.filter((point) => point.server.key === key);
    let server: RunningServer;
    try {
      server = await startServer(group[0]!.server);
    } catch (error) {
      const reason = `the server did not start: ${(error as Error).message.slice(0, 300)}`;
      for (const point of group) skipped.push({ scenario: point.scenario, variant: point.variant, reason });
      log(`SKIPPED ${key}: ${reason}`);
      continue;
    }
    try {
      const problem = await checkServer(key, server, captures);
      if (problem) {
        for (const point of group) if (!skipped.some((s) => s.scenario === point.scenario && s.variant === point.variant)) skipped.push({ scenario: point.scenario, variant: point.variant, reason: problem });
        log(`SKIPPED ${key}: ${problem}`);
        continue;
      }
      for (const point of group) results.push(await measure(point, server, load, notes));
    } finally {
      await server.stop();
    }
  }
  return results;
}

/** A server that cannot stand for its variant is skipped, not measured (e.g. a privacy switch that did not switch). */
async function checkServer(key: string, server: RunningServer, captures: Captures): Promise<string | undefined> {
  if (key === 'gateway-privacy-off' && (await privacyEnforced(server.url))) {
    return 'C360_PRIVACY_ENFORCEMENT=off with C360_BENCHMARK_MODE=true did not switch enforcement off in this build (issue 4)';
  }
  if (key.startsWith('bare-apollo')) {
    for (const [name, capture] of Object.entries(captures)) {
      const body = JSON.parse(capture.body) as { data?: unknown };
      const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: graphqlBodies(requestFromCapture(capture))[0] });
      const answer = (await response.json()) as { data?: unknown };
      if (JSON.stringify(answer.data) !== JSON.stringify(body.data)) return `the bare Apollo server did not answer ${name} with the gateway's data`;
    }
  }
  return undefined;
}

function requestFromCapture(capture: Captures[string]) {
  return { operationName: capture.operationName, query: capture.query, variables: capture.variables, headers: {} };
}

async function measure(point: Point, server: RunningServer, load: LoadGenerator, notes: string[]): Promise<PointResult> {
  const target = await point.target(server);
  const job = { ...target, connections: point.connections, settleSeconds: SETTLE_SECONDS };
  if (WARMUP_SECONDS > 0) await load.run({ ...job, settleSeconds: 0, durationSeconds: WARMUP_SECONDS });
  await drain(server);
  let durationSeconds = DURATION_SECONDS;
  let { result, cpuMsPerAnswer } = await load.measure({ ...job, durationSeconds }, () => server.cpuMs());
  const label = `${point.scenario} / ${point.variant} @ ${point.latencyMs} ms, ${point.connections} conn`;
  if (result.completed < MIN_ANSWERS) {
    // Too few answers to say anything (a naive batch can take seconds): once more, three times as long.
    await drain(server);
    durationSeconds = DURATION_SECONDS * 3;
    ({ result, cpuMsPerAnswer } = await load.measure({ ...job, durationSeconds }, () => server.cpuMs()));
    notes.push(`${label}: fewer than ${MIN_ANSWERS} answers in ${DURATION_SECONDS} s, measured for ${DURATION_SECONDS * 3} s instead (${result.completed} answers)`);
  }
  await drain(server);
  // Requests still in flight when the window closed were partly paid for in it: a small overcount at high concurrency, the same for every variant.
  const serverCpuMsPerRequest = cpuMsPerAnswer === undefined ? undefined : Math.round(cpuMsPerAnswer * 100) / 100;
  const cpu = serverCpuMsPerRequest === undefined ? '' : `  server CPU ${serverCpuMsPerRequest} ms/req`;
  log(`${label.padEnd(64)} ${result.requestsPerSecond.toFixed(1).padStart(8)} req/s  p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms${cpu}`);
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0) notes.push(`${label}: ${result.non2xx} non-2xx, ${result.errors} connection errors, ${result.timeouts} timeouts`);
  if (result.firstError) notes.push(`${label}: ${result.responsesWithErrors} of ${result.completed} answers carried errors, first: \`${result.firstError.replace(/`/g, "'").slice(0, 240)}\``);
  return { scenario: point.scenario, variant: point.variant, latencyMs: point.latencyMs, connections: point.connections, durationSeconds, ...result, serverRssMiB: server.rssMiB(), ...(serverCpuMsPerRequest === undefined ? {} : { serverCpuMsPerRequest }) };
}

/**
 * Waits until the server has finished the requests autocannon left in flight
 * when it stopped (its /healthz answers promptly again), so they do not slow
 * the next point down. At most 60 s.
 */
async function drain(server: RunningServer): Promise<void> {
  const deadline = Date.now() + 60_000;
  let prompt = 0;
  while (prompt < 2 && Date.now() < deadline) {
    const started = performance.now();
    try {
      await (await fetch(`${server.url}/healthz`)).arrayBuffer();
    } catch {
      // a baseline may not keep the connection; the next try says
    }
    prompt = performance.now() - started < 50 ? prompt + 1 : 0;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The gateway's answer to each request, byte for byte, for the baselines to
 * serve. A request the gateway answers with an error other than a withheld
 * personal field is not benchmarked: its figures would measure a failure.
 */
async function capture(url: string, requests: Requests, skips: Map<CaptureKey, string>, notes: string[]): Promise<Captures> {
  const captures: Record<string, Captures[string]> = {};
  for (const [key, request] of Object.entries(requests) as Array<[CaptureKey, NonNullable<Requests[CaptureKey]>]>) {
    const body = graphqlBodies(request)[0]!.replaceAll('[<id>]', 'capture');
    const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...request.headers }, body });
    const text = await response.text();
    const parsed = JSON.parse(text) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
    const unexpected = (parsed.errors ?? []).filter((error) => error.extensions?.code !== 'PII_ACCESS_DENIED');
    if (response.status !== 200 || !parsed.data || unexpected.length > 0) {
      const reason = `the gateway answered HTTP ${response.status} with ${unexpected[0]?.extensions?.code ?? 'no data'}`;
      skips.set(key, reason);
      delete requests[key];
      notes.push(`${key}: ${reason}`);
      continue;
    }
    const variables = JSON.parse(body) as { variables: Record<string, unknown> };
    captures[key] = { operationName: request.operationName, query: request.query, variables: variables.variables, body: text };
  }
  return captures;
}

function moveToSkipped(points: Point[], skipped: Skip[], variant: Point['variant'], reason: string): void {
  for (let i = points.length - 1; i >= 0; i--) {
    const point = points[i]!;
    if (point.variant !== variant) continue;
    points.splice(i, 1);
    if (!skipped.some((s) => s.scenario === point.scenario && s.variant === variant)) skipped.push({ scenario: point.scenario, variant, reason });
  }
}

function describeFeatures(features: Features): string {
  return [
    `me ${'token' in features.customerToken ? 'available' : 'unavailable'}`,
    `track ${features.rootFields.has('Mutation.track') ? 'available' : 'unavailable'}`,
    `privacy enforcement ${features.privacyEnforced ? 'on' : 'absent'}`,
  ].join(', ');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
