import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDemoData } from '../../src/embedded/demoData.js';
import { detectFeatures } from './features.js';
import { LoadGenerator } from './load.js';
import { log } from './log.js';
import { COMPARISON_CONNECTIONS, buildRequests, gatewaySpec, targetFor } from './plan.js';
import type { CaptureKey } from './plan.js';
import { ROOT, startServer } from './servers.js';

/**
 * `npm run bench -- profile [call-centre|call-centre-memory|partner-batch|partner-batch-memory|me|track ...]`:
 * the gateway under load with `--cpu-prof`, one process per scenario, and a
 * summary of where its CPU time went (self time by package and by function)
 * in bench/results/profile-<scenario>.json. The .cpuprofile files stay in
 * bench/results/profiles/ (not committed) for Chrome DevTools.
 */
const PROFILES = ['call-centre', 'call-centre-memory', 'partner-batch', 'partner-batch-memory', 'me', 'track'] as const;
type ProfileName = (typeof PROFILES)[number];
const PROFILE_SECONDS = Number(process.env.BENCH_PROFILE_DURATION ?? 8);
/**
 * Quiet, for a gateway under --cpu-prof: the sampling profiler's own thread
 * keeps an idle gateway at about 7 % of a core (0.2 % without it), so under
 * the usual 2 % the start-up wait would never end.
 */
const PROFILED_QUIET_SHARE = 0.12;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  /** Microseconds. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  readonly scenario: string;
  readonly date: string;
  readonly connections: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Share of the busy (not idle) CPU time sampled under load, per package or part of Node. */
  readonly byPackage: ReadonlyArray<{ readonly name: string; readonly percent: number }>;
  readonly topFunctions: ReadonlyArray<{ readonly name: string; readonly where: string; readonly percent: number }>;
}

export async function runProfile(names: readonly string[]): Promise<void> {
  const chosen = (names.length > 0 ? names : ['call-centre', 'call-centre-memory', 'partner-batch', 'me', 'track']) as ProfileName[];
  const bad = chosen.filter((name) => !PROFILES.includes(name));
  if (bad.length > 0) throw new Error(`unknown profile ${bad.join(', ')}; choose from ${PROFILES.join(', ')}`);
  const demo = generateDemoData({ customers: 1000, seed: 360 });
  const load = new LoadGenerator();
  try {
    for (const name of chosen) {
      const dir = join(ROOT, 'bench/results/profiles', name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const memory = name.endsWith('-memory');
      const spec = {
        ...gatewaySpec(name, memory ? { C360_BENCHMARK_MODE: 'true', C360_SOURCES: 'memory' } : {}, ['--cpu-prof', '--cpu-prof-dir', dir]),
        quietShare: PROFILED_QUIET_SHARE,
      };
      const server = await startServer(spec);
      let requestsPerSecond = 0;
      let loadStart = 0;
      let loadEnd = 0;
      let stopped = 0;
      try {
        const { requests, skips } = buildRequests(await detectFeatures(server.url), demo);
        const key = (memory ? name.slice(0, -'-memory'.length) : name) as CaptureKey;
        const request = requests[key];
        if (!request) {
          log(`SKIPPED profile ${name}: ${skips.get(key) ?? 'no request'}`);
          continue;
        }
        const target = await targetFor('gateway', key, request, demo)(server);
        await load.run({ ...target, connections: COMPARISON_CONNECTIONS, durationSeconds: 1 });
        loadStart = Date.now();
        requestsPerSecond = (await load.run({ ...target, connections: COMPARISON_CONNECTIONS, durationSeconds: PROFILE_SECONDS })).requestsPerSecond;
        loadEnd = Date.now();
      } finally {
        await server.stop();
        stopped = Date.now();
      }
      // One file per thread: `CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile`, thread 0 the main one.
      const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
      const main = files.find((f) => threadOf(f) === 0);
      if (!main) {
        log(`profile ${name}: no .cpuprofile of the main thread was written`);
        continue;
      }
      // Only the samples taken under load count: the profile also covers start-up (module loading, demo data) and shutdown.
      const window = { fromEndMs: stopped - loadStart, untilEndMs: stopped - loadEnd };
      const read = (file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
      const summary = {
        ...summarize(name, read(main), requestsPerSecond, window),
        otherThreads: files
          .filter((f) => f !== main)
          .map((f) => threadSummary(threadOf(f), read(f), window))
          .filter((thread) => thread.busyPercent >= 1),
      };
      writeFileSync(join(ROOT, `bench/results/profile-${name}.json`), `${JSON.stringify(summary, null, 2)}\n`);
      log(`profile ${name}: ${Math.round(requestsPerSecond)} req/s at ${COMPARISON_CONNECTIONS} connections; main thread, self time by package:`);
      for (const entry of summary.byPackage.slice(0, 14)) log(`  ${entry.percent.toFixed(1).padStart(5)} %  ${entry.name}`);
      for (const thread of summary.otherThreads) {
        log(`  thread ${thread.thread}: busy ${thread.busyPercent} % of the load, ${thread.byPackage.map((p) => `${p.name} ${p.percent} %`).join(', ')}`);
      }
      log('  top functions:');
      for (const entry of summary.topFunctions.slice(0, 12)) log(`  ${entry.percent.toFixed(1).padStart(5)} %  ${entry.name}  ${entry.where}`);
    }
  } finally {
    load.close();
  }
}

function threadOf(file: string): number {
  return Number(/\.(\d+)\.\d+\.cpuprofile$/.exec(file)?.[1] ?? -1);
}

export interface ThreadSummary {
  readonly thread: number;
  /** Busy (not idle) share of the load window's wall time. */
  readonly busyPercent: number;
  /** Its five largest packages, as shares of its busy time. */
  readonly byPackage: ReadonlyArray<{ readonly name: string; readonly percent: number }>;
}

/** Another thread of the process (the embedded dynalite's worker): how busy it was under load, and with what. */
export function threadSummary(thread: number, profile: CpuProfile, window: LoadWindow): ThreadSummary {
  const summary = summarize(`thread ${thread}`, profile, 0, window);
  const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
  let busy = 0;
  const length = forEachSampleIn(profile, window, (nodeId, delta) => {
    if (!idle.has(nodeId)) busy += delta;
  });
  const busyPercent = Math.round((busy / Math.max(1, length)) * 1000) / 10;
  return { thread, busyPercent, byPackage: summary.byPackage.slice(0, 5) };
}

/** The load, as a window counted back from the end of the profile (the process exits right after the load stops). */
type LoadWindow = { readonly fromEndMs: number; readonly untilEndMs: number };

/** Calls `visit` with each sample taken within the window and the microseconds it stands for; returns the window's length in microseconds. */
function forEachSampleIn(profile: CpuProfile, window: LoadWindow, visit: (nodeId: number, delta: number) => void): number {
  const from = profile.endTime - window.fromEndMs * 1000;
  const until = profile.endTime - window.untilEndMs * 1000;
  let at = profile.startTime;
  profile.samples.forEach((nodeId, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at >= from && at <= until) visit(nodeId, delta);
  });
  return until - from;
}

/**
 * Self time per package and per function, as shares of the samples taken
 * while the process was busy, within a window counted back from the end of
 * the profile (the process exits right after the load stops).
 */
export function summarize(scenario: string, profile: CpuProfile, requestsPerSecond: number, window: LoadWindow): ProfileSummary {
  const hitsByNode = new Map<number, number>();
  forEachSampleIn(profile, window, (nodeId) => hitsByNode.set(nodeId, (hitsByNode.get(nodeId) ?? 0) + 1));
  const busy = profile.nodes.filter((node) => node.callFrame.functionName !== '(idle)');
  const total = busy.reduce((sum, node) => sum + (hitsByNode.get(node.id) ?? 0), 0) || 1;
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, { name: string; where: string; hits: number }>();
  for (const node of busy) {
    const hits = hitsByNode.get(node.id) ?? 0;
    if (hits === 0) continue;
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
    const where = `${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const key = `${node.callFrame.functionName}@${where}`;
    const entry = byFunction.get(key) ?? { name: node.callFrame.functionName || '(anonymous)', where, hits: 0 };
    entry.hits += hits;
    byFunction.set(key, entry);
  }
  const percent = (hits: number) => Math.round((hits / total) * 1000) / 10;
  return {
    scenario,
    date: new Date().toISOString(),
    connections: COMPARISON_CONNECTIONS,
    seconds: PROFILE_SECONDS,
    requestsPerSecond: Math.round(requestsPerSecond),
    byPackage: [...byPackage].sort((a, b) => b[1] - a[1]).map(([name, hits]) => ({ name, percent: percent(hits) })),
    topFunctions: [...byFunction.values()].sort((a, b) => b.hits - a.hits).slice(0, 30).map((f) => ({ name: f.name, where: f.where, percent: percent(f.hits) })),
  };
}

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (match) return match[1]!;
  if (url.startsWith('node:')) return 'node (core)';
  for (const dir of ['src/', 'connectors/', 'resolvers/']) if (url.includes(`/${dir}`)) return `c360 ${dir.slice(0, -1)}`;
  return 'other';
}

function shortUrl(url: string): string {
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) return url.slice(inModules + 'node_modules/'.length);
  return url.replace(/^file:\/\//, '').replace(ROOT, '');
}
