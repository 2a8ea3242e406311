import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { DynamoSingleView } from '../connectors/singleview/dynamodb.js';
import { configFrom } from '../src/config.js';
import type { EventRecord } from '../src/domain/index.js';
import { createGateway } from '../src/server.js';
import { changeMiddleware } from '../test/support/middleware.js';

/**
 * `npm run bench:merge`: what a merge, an unmerge and an erasure of a
 * customer with MERGE_BENCH_EVENTS events (50,000) cost inside the request,
 * and how long the background worker takes with what they leave. The real
 * gateway in process on the embedded dynalite (memory); the visitor's
 * events are written straight into its timeline (as 50,000 `track`s would
 * leave them). Every DynamoDB call the gateway's client sends during a
 * request is counted (the worker's poll apart). Rewrites the section of
 * bench/README.md between the `bench:merge` markers.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const EVENTS = Number(process.env.MERGE_BENCH_EVENTS ?? 50_000);
const INGEST = 'c360_demo_ingest';
const ADMIN = 'c360_demo_admin';

interface Measured {
  readonly what: string;
  readonly calls: number;
  readonly ms: number;
  readonly worker?: { readonly ms: number; readonly items: number } | undefined;
}

async function main(): Promise<void> {
  const config = configFrom({
    C360_DATA_DIR: 'memory',
    C360_PORT: '0',
    C360_LOG_LEVEL: 'warn',
    C360_DEMO_CUSTOMERS: '10',
    C360_RATE_LIMIT_PER_MINUTE: '0',
    C360_SINGLEVIEW_TIMEOUT_MS: '20000',
    // The segment worker's rounds (every 5 s by default) are background work, not the request's: off, so a round that
    // happens to overlap a measured request is not counted as its calls.
    C360_SEGMENTS_WORKER_MS: '0',
    C360_PSEUDONYM_KEY: randomBytes(32).toString('hex'),
  });
  const gateway = await createGateway(config, { logger: pino({ level: 'warn' }) });
  const url = await gateway.listen();
  const store = gateway.services.sources.singleView;
  if (!(store instanceof DynamoSingleView)) throw new Error('the merge benchmark needs the DynamoDB single view');
  let counting = false;
  let calls = 0;
  changeMiddleware(store.client, (stack) => stack.add(
    (next, context) => async (args) => {
      const input = args.input as { TableName?: string };
      if (counting && !(context.commandName === 'ScanCommand' && input.TableName === store.tables.jobs)) calls += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCount' },
  ));
  const post = async (query: string, variables: Record<string, unknown>, apiKey: string) => {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': apiKey, ...(apiKey === INGEST ? {} : { 'x-c360-purpose': 'support' }) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (body.errors) throw new Error(`request failed: ${JSON.stringify(body.errors)}`);
    return body.data!;
  };
  const measure = async (what: string, request: () => Promise<unknown>): Promise<Measured> => {
    calls = 0;
    counting = true;
    const started = performance.now();
    await request();
    const ms = performance.now() - started;
    counting = false;
    return { what, calls, ms };
  };
  const waitForJob = async (id: string): Promise<{ ms: number; items: number }> => {
    const started = performance.now();
    for (;;) {
      const job = await store.getJob(id);
      if (job?.status === 'DONE') return { ms: performance.now() - started, items: job.progress.items };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const TRACK = 'mutation($input: TrackInput!) { track(input: $input) { customerId } }';
  const IDENTIFY = 'mutation($input: IdentifyInput!) { identify(input: $input) { customer { id } merged } }';
  try {
    const trackVisitor = async (value: string) =>
      ((await post(TRACK, { input: { identity: { type: 'ANONYMOUS_ID', value }, type: 'Page Viewed' } }, INGEST)) as { track: { customerId: string } }).track.customerId;
    // Two visitors with the same history: one merged into a customer this instance has never written (loaded with the
    // demo data: the phone below is a demo customer's), one into a customer it wrote itself, so its write cache names
    // both holders (src/identity/mergeEngine.ts, lookup) and the identify reads them beside the identity index.
    const visitor = await trackVisitor('bench-anon');
    const second = await trackVisitor('bench-anon-2');
    const loadStarted = performance.now();
    const historyOf = (customerId: string, tag: string, via: string): EventRecord[] =>
      Array.from({ length: EVENTS }, (_, i) => ({
        id: `evt_${tag}_${String(i).padStart(6, '0')}`,
        customerId,
        type: 'Page Viewed',
        occurredAt: new Date(Date.UTC(2025, 0, 1) + i * 30_000).toISOString(),
        receivedAt: new Date(Date.UTC(2025, 0, 1) + i * 30_000).toISOString(),
        channel: 'web',
        source: 'bench',
        properties: { path: `/p/${i % 500}` },
        via,
      }));
    for (const events of [historyOf(visitor, 'bench', 'ANONYMOUS_ID#bench-anon'), historyOf(second, 'bench2', 'ANONYMOUS_ID#bench-anon-2')]) {
      for (let i = 0; i < events.length; i += 2_000) await store.putEvents(events.slice(i, i + 2_000));
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    await post(IDENTIFY, { input: { identities: [{ type: 'EMAIL', value: 'bench.merge@example.com', verified: true }, { type: 'PHONE', value: '+1 212 555 0100', verified: true }] } }, ADMIN);
    await post(IDENTIFY, { input: { identities: [{ type: 'EMAIL', value: 'bench.written@example.com', verified: true }] } }, ADMIN);
    const results: Measured[] = [];
    results.push(
      await measure(`identify that merges the visitor (${EVENTS.toLocaleString('en-US')} events) into a known customer this instance has not cached (a demo customer)`, () =>
        post(IDENTIFY, { input: { identities: [{ type: 'ANONYMOUS_ID', value: 'bench-anon', verified: true }, { type: 'EMAIL', value: 'bench.merge@example.com', verified: true }] } }, ADMIN),
      ),
    );
    results.push(
      await measure(`identify that merges a second such visitor into a customer this instance wrote (both in its write cache)`, () =>
        post(IDENTIFY, { input: { identities: [{ type: 'ANONYMOUS_ID', value: 'bench-anon-2', verified: true }, { type: 'EMAIL', value: 'bench.written@example.com', verified: true }] } }, ADMIN),
      ),
    );
    const read = 'query($id: ID!) { customer(id: $id) { id events(first: 20) { edges { node { id occurredAt } } } } }';
    results.push(await measure('first page of the merged timeline (20 events, two ids)', () => post(read, { id: visitor }, 'c360_demo_support')));
    const UNMERGE = 'mutation($id: ID!, $identities: [IdentityInput!]!) { unmerge(customerId: $id, identities: $identities, reason: "bench") { splitCustomer { id } } }';
    const survivor = ((await post('query($id: ID!) { customer(id: $id) { id } }', { id: visitor }, 'c360_demo_support')) as { customer: { id: string } }).customer.id;
    let splitId = '';
    const unmerge = await measure('unmerge of the visitor’s identifier', async () => {
      const answer = (await post(UNMERGE, { id: survivor, identities: [{ type: 'ANONYMOUS_ID', value: 'bench-anon' }] }, ADMIN)) as { unmerge: { splitCustomer: { id: string } } };
      splitId = answer.unmerge.splitCustomer.id;
    });
    results.push({ ...unmerge, worker: await waitForJob(`split#${splitId}`) });
    const FORGET = 'mutation($id: ID!) { forgetCustomer(id: $id) { sources { source status } } }';
    // Merge again, then erase the customer and everything it absorbed.
    await post(IDENTIFY, { input: { identities: [{ type: 'PHONE', value: '+1 212 555 0100', verified: true }, { type: 'ANONYMOUS_ID', value: 'bench-anon', verified: true }] } }, ADMIN);
    const forget = await measure(`forgetCustomer of the merged customer (${EVENTS.toLocaleString('en-US')} events under its absorbed id)`, () => post(FORGET, { id: splitId }, ADMIN));
    const erased = ((await post('query($id: ID!) { customer(id: $id) { id } }', { id: splitId }, 'c360_demo_support')) as { customer: { id: string } | null }).customer;
    if (erased !== null) throw new Error('the erased customer still reads');
    const canonical = (await store.getErasureJob(splitId))?.canonicalId ?? splitId;
    results.push({ ...forget, worker: await waitForJob(`erase#${canonical}`) });
    report(results, loadSeconds);
  } finally {
    await gateway.close();
  }
}

function report(results: readonly Measured[], loadSeconds: number): void {
  const rows = results.map(
    (r) =>
      `| ${r.what} | ${r.calls} | ${Math.round(r.ms).toLocaleString('en-US')} ms | ${r.worker ? `${r.worker.items.toLocaleString('en-US')} items in ${(r.worker.ms / 1000).toFixed(1)} s` : '—'} |`,
  );
  const [cold, warm] = [results[0]!, results[1]!];
  const section = [
    '<!-- bench:merge:start -->',
    `Merges by pointer (\`npm run bench:merge\`, ${new Date().toISOString()}): two visitors with ${EVENTS.toLocaleString('en-US')} events each (loaded in ${loadSeconds.toFixed(0)} s), the gateway in process on`,
    `the embedded dynalite (memory). Machine: ${cpus().length} cores, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at the end.`,
    '',
    '| request | DynamoDB calls in the request | answered in | left to the background worker |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `Target: at most 10 DynamoDB calls inside an \`identify\` that merges a customer with 50,000 events, the rest in the background. Measured: ${warm.calls} when the instance's write cache holds both customers (${warm.calls <= 10 ? 'met' : 'missed'}), ${cold.calls} when it does not hold the one that stays (${cold.calls <= 10 ? 'met' : 'missed'}; it is read once the identity index has named it); the merge leaves nothing to the background.`,
    '<!-- bench:merge:end -->',
  ].join('\n');
  process.stdout.write(`${section}\n`);
  const file = `${ROOT}bench/README.md`;
  const readme = readFileSync(file, 'utf8');
  const start = readme.indexOf('<!-- bench:merge:start -->');
  const end = readme.indexOf('<!-- bench:merge:end -->');
  if (start === -1 || end === -1) throw new Error('bench/README.md has no bench:merge markers');
  writeFileSync(file, `${readme.slice(0, start)}${section}${readme.slice(end + '<!-- bench:merge:end -->'.length)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:merge failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
