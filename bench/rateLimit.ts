import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createDynamoClients } from '../connectors/singleview/dynamodb.js';
import { createSingleView } from '../connectors/singleview/index.js';
import type { Principal } from '../src/auth/principal.js';
import { startEmbeddedDynamo } from '../src/embedded/dynalite.js';
import { DynamoRateLimitStore } from '../src/ratelimit/dynamodb.js';
import type { LeaseOutcome, LeaseRequest, RateLimitStore } from '../src/ratelimit/port.js';
import { RateLimiter } from '../src/ratelimit/rateLimiter.js';

/**
 * `npm run bench:ratelimit`: the DynamoDB rate limiter (src/ratelimit/) on
 * dynalite, driven in real time at RATE_LIMIT_BENCH_RATE requests per second
 * (2,000) for RATE_LIMIT_BENCH_SECONDS (10) by one partner, spread over 1 and
 * over 4 gateway instances (each its own RateLimiter and DynamoDB client, as
 * pods are). Every lease that reaches DynamoDB is counted per window item
 * (`principal#minute`); the figure is the writes per second on the busiest
 * item, the target being at most 50. A third run gives the partner
 * half the budget it asks for, to count what the refusals cost.
 * Rewrites the section of bench/README.md between the `bench:ratelimit` markers.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const RATE = Number(process.env.RATE_LIMIT_BENCH_RATE ?? 2_000);
const SECONDS = Number(process.env.RATE_LIMIT_BENCH_SECONDS ?? 10);

class CountingStore implements RateLimitStore {
  readonly leases: Array<{ at: number; item: string; outcome?: LeaseOutcome }> = [];
  constructor(private readonly inner: RateLimitStore) {}
  async lease(request: LeaseRequest, options?: { signal?: AbortSignal }): Promise<LeaseOutcome> {
    const entry: { at: number; item: string; outcome?: LeaseOutcome } = { at: performance.now(), item: `${request.key}#${request.windowStart}` };
    this.leases.push(entry);
    entry.outcome = await this.inner.lease(request, options);
    return entry.outcome;
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

interface RunResult {
  readonly name: string;
  readonly instances: number;
  readonly perMinute: number;
  readonly requests: number;
  readonly admitted: number;
  readonly refused: number;
  readonly seconds: number;
  readonly writes: number;
  readonly busiestItemWritesPerSecond: number;
  readonly busiestItemPeakSecond: number;
  readonly maxLatencyMs: number;
}

async function run(name: string, endpoint: string, table: string, instances: number, perMinute: number): Promise<RunResult> {
  const clients = Array.from({ length: instances }, () =>
    createDynamoClients({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, tablePrefix: '' }),
  );
  const stores = clients.map(({ document }) => new CountingStore(new DynamoRateLimitStore(document, table)));
  const limiters = stores.map((store) => new RateLimiter(store, { defaultPerMinute: 0, timeoutMs: 1_000, logger: pino({ level: 'silent' }) }));
  const principal: Principal = {
    kind: 'apiKey',
    id: `partner-${name}`,
    name,
    scopes: new Set(),
    purposes: new Set(),
    rateLimitPerMinute: perMinute,
    trustedDocumentsOnly: false,
  };
  let fired = 0;
  let admitted = 0;
  let refused = 0;
  let maxLatencyMs = 0;
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  const total = RATE * SECONDS;
  while (fired < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
    for (; fired < due; fired++) {
      const limiter = limiters[fired % instances]!;
      const sent = performance.now();
      const call = limiter.admit(principal).then((error) => {
        maxLatencyMs = Math.max(maxLatencyMs, performance.now() - sent);
        if (error) refused++;
        else admitted++;
      });
      inFlight.add(call);
      void call.finally(() => inFlight.delete(call));
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  const leases = stores.flatMap((store) => store.leases);
  const perItem = new Map<string, number>();
  const perItemSecond = new Map<string, number>();
  for (const lease of leases) {
    perItem.set(lease.item, (perItem.get(lease.item) ?? 0) + 1);
    const second = `${lease.item}@${Math.floor((lease.at - started) / 1000)}`;
    perItemSecond.set(second, (perItemSecond.get(second) ?? 0) + 1);
  }
  // A run may straddle a minute boundary: the busiest item is the one with the most writes per second of its own life in the run.
  const busiest = Math.max(...[...perItem.values()]);
  for (const { client } of clients) client.destroy();
  return {
    name,
    instances,
    perMinute,
    requests: fired,
    admitted,
    refused,
    seconds: round(seconds, 1),
    writes: leases.length,
    busiestItemWritesPerSecond: round(busiest / seconds, 1),
    busiestItemPeakSecond: Math.max(...perItemSecond.values()),
    maxLatencyMs: Math.round(maxLatencyMs),
  };
}

function round(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

function report(results: readonly RunResult[]): string {
  const lines = [
    `Rate-limit leases (\`npm run bench:ratelimit\`, ${new Date().toISOString()}): one partner at ${RATE.toLocaleString('en-US')} requests/s for ${SECONDS} s,`,
    `real time, DynamoRateLimitStore on dynalite in process. Machine: ${cpus().length} cores, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at the start.`,
    '',
    '| run | instances | budget per minute | requests | admitted | refused | DynamoDB writes | writes/s on the busiest item (mean / peak second) | slowest admit |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.instances} | ${r.perMinute.toLocaleString('en-US')} | ${r.requests.toLocaleString('en-US')} | ${r.admitted.toLocaleString('en-US')} | ${r.refused.toLocaleString('en-US')} | ${r.writes} | ${r.busiestItemWritesPerSecond} / ${r.busiestItemPeakSecond} | ${r.maxLatencyMs} ms |`,
    ),
    '',
    `Target: at most 50 writes/s on the busiest rate-limit item for a partner at 2,000 requests/s. Worst measured: ${Math.max(...results.map((r) => r.busiestItemPeakSecond))} in a second.`,
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const dynamo = await startEmbeddedDynamo(undefined);
  const singleView = await createSingleView({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    tablePrefix: 'bench_',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const table = singleView.tables.rateLimits;
  try {
    const results = [
      await run('one-instance', dynamo.endpoint, table, 1, RATE * 60),
      await run('four-instances', dynamo.endpoint, table, 4, RATE * 60),
      await run('over-budget', dynamo.endpoint, table, 4, (RATE * SECONDS) / 2),
    ];
    const text = report(results);
    console.log(text);
    const readme = `${ROOT}bench/README.md`;
    const current = readFileSync(readme, 'utf8');
    const start = '<!-- bench:ratelimit:start -->';
    const end = '<!-- bench:ratelimit:end -->';
    const from = current.indexOf(start);
    const to = current.indexOf(end);
    if (from >= 0 && to > from) writeFileSync(readme, `${current.slice(0, from + start.length)}\n${text}\n${current.slice(to)}`);
    else console.log('bench/README.md has no bench:ratelimit markers; the section was not written');
  } finally {
    await singleView.close();
    await dynamo.close();
  }
}

await main();
