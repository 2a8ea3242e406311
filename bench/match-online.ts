/**
 * `npm run bench:match-online`: what online scoring adds to an `identify`
 * (issue target: ≤ 5 ms at p50 on the embedded default).
 *
 * Two gateways on the embedded default (dynalite in process, the demo data
 * set of 1,000 customers), one with online scoring (C360_MATCH_ONLINE=true,
 * the default) and one without, in this process, each on its own port. The
 * same identify calls go to both, one at a time, alternating, over HTTP:
 * new people with a name, a date of birth and an email, and one call in
 * five the same person again with a typo in the surname and another email
 * (online scoring then stores a suggestion). Latency is the client's, from
 * sending the request to the end of the answer. Beside it, the time spent in
 * the scoring step itself (the observer identify calls after its write),
 * and the same step against an index holding the 5,000 FEBRL 3 records.
 *
 * Writes bench/results/match-online.json; bench/README.md quotes it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { faker } from '@faker-js/faker';
import { configFrom } from '../src/config.js';
import type { CustomerRecord } from '../src/domain/index.js';
import type { WriteScope } from '../src/identity/scope.js';
import { OnlineMatcher } from '../src/matchSuggestions/onlineMatcher.js';
import { loadMatchModel, prepareRecord, scorePair } from '../src/matching/index.js';
import { CandidateIndex } from '../src/matching/candidateIndex.js';
import { createGateway } from '../src/server.js';
import type { Gateway } from '../src/server.js';
import { FEBRL_DIR, FEBRL_MAPPING } from './resolution/febrl.js';
import { readLabelledCsv } from '../src/tools/recordsCsv.js';
import { describeMachine } from './lib/machine.js';
import { ROOT } from './lib/servers.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 1000);
const WARMUP = 100;
const PSEUDONYM_KEY = '5c2e8a1f7b3d9e0c4a6f8b2d1e3c5a7f9b0d2e4c6a8f1b3d5e7c9a0b2d4f6e8a';

interface Call {
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly birthDate: string;
}

function calls(count: number): Call[] {
  faker.seed(2112);
  const made: Call[] = [];
  for (let i = 0; i < count; i++) {
    const earlier = i > 10 && i % 5 === 0 ? made[faker.number.int({ min: 0, max: made.length - 1 })] : undefined;
    if (earlier) {
      const at = faker.number.int({ min: 1, max: earlier.lastName.length - 1 });
      made.push({ ...earlier, email: `again.${i}@store.example`, lastName: `${earlier.lastName.slice(0, at)}${earlier.lastName.slice(at + 1)}` });
    } else {
      made.push({
        email: `bench.${i}@example.org`,
        firstName: faker.person.firstName(),
        lastName: faker.person.lastName(),
        birthDate: faker.date.birthdate({ min: 18, max: 85, mode: 'age' }).toISOString().slice(0, 10),
      });
    }
  }
  return made;
}

/** Times the observer's step, around the real one. */
function timed(matcher: OnlineMatcher, into: number[]): OnlineMatcher {
  const identified = matcher.identified.bind(matcher);
  matcher.identified = async (scope: WriteScope, record: CustomerRecord, absorbed: readonly string[]) => {
    const started = performance.now();
    await identified(scope, record, absorbed);
    into.push(performance.now() - started);
  };
  return matcher;
}

async function start(online: boolean): Promise<{ gateway: Gateway; url: string }> {
  const config = configFrom({
    C360_DATA_DIR: 'memory',
    C360_PORT: '0',
    C360_LOG_LEVEL: 'warn',
    C360_PSEUDONYM_KEY: PSEUDONYM_KEY,
    C360_RATE_LIMIT_PER_MINUTE: '0',
    C360_MATCH_ONLINE: String(online),
    // A loaded machine seeds slowly; latency is measured after start.
    C360_SOURCE_TIMEOUT_MS: '10000',
    C360_READINESS_TIMEOUT_MS: '30000',
  });
  const gateway = await createGateway(config);
  return { gateway, url: await gateway.listen() };
}

const IDENTIFY = 'mutation($input: IdentifyInput!) { identify(input: $input) { customer { id } merged } }';

async function identify(url: string, call: Call): Promise<number> {
  const body = JSON.stringify({
    query: IDENTIFY,
    variables: { input: { identities: [{ type: 'EMAIL', value: call.email }], traits: { firstName: call.firstName, lastName: call.lastName, birthDate: call.birthDate } } },
  });
  const started = performance.now();
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'c360_demo_ingest' }, body });
  const answer = (await response.json()) as { errors?: unknown };
  const ms = performance.now() - started;
  if (answer.errors) throw new Error(`identify failed: ${JSON.stringify(answer.errors)}`);
  return ms;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
const summary = (values: readonly number[]) => ({ p50: round(quantile(values, 0.5)), p90: round(quantile(values, 0.9)), p99: round(quantile(values, 0.99)), n: values.length });

/** The scoring step alone against an index of the 5,000 FEBRL 3 records: each record scored against its candidates. */
function febrlIndexScoring(): { records: number; perRecordMs: ReturnType<typeof summary>; candidatesMean: number } {
  const compiled = loadMatchModel();
  const text = readFileSync(`${FEBRL_DIR}dataset3.csv`, 'utf8');
  const { records } = readLabelledCsv(text, { fields: FEBRL_MAPPING.fields }, 'dataset3.csv');
  const index = new CandidateIndex(compiled);
  const prepared = records.map((record) => prepareRecord(record, { defaultRegion: 'AU' }));
  for (const record of prepared) index.put(record);
  const times: number[] = [];
  let candidates = 0;
  for (const record of records) {
    const started = performance.now();
    const again = prepareRecord(record, { defaultRegion: 'AU' });
    const found = index.candidates(again.id);
    for (const other of found) scorePair(compiled, again, other, index.adjustment);
    times.push(performance.now() - started);
    candidates += found.length;
  }
  return { records: records.length, perRecordMs: summary(times), candidatesMean: Math.round((candidates / records.length) * 100) / 100 };
}

async function main(): Promise<void> {
  const machine = describeMachine();
  const withScoring = await start(true);
  const without = await start(false);
  const hook: number[] = [];
  const matcher = withScoring.gateway.services.identity.services.customerWrites;
  if (!(matcher instanceof OnlineMatcher)) throw new Error('the gateway has no online matcher');
  timed(matcher, hook);
  // Let the background load of the candidate index finish, as a gateway that has been up a while has it.
  await matcher.load(withScoring.gateway.services.sources.singleView);
  const workload = calls(WARMUP + CALLS);
  const on: number[] = [];
  const off: number[] = [];
  for (const [i, call] of workload.entries()) {
    // Alternate which goes first, so neither gains from the other warming a shared cache.
    const first = i % 2 === 0;
    const a = await identify(first ? withScoring.url : without.url, call);
    const b = await identify(first ? without.url : withScoring.url, call);
    if (i < WARMUP) continue;
    on.push(first ? a : b);
    off.push(first ? b : a);
  }
  const suggestions = await withScoring.gateway.services.sources.singleView.listMergeSuggestions({ status: 'OPEN', first: 1000 });
  await Promise.all([withScoring.gateway.close(), without.gateway.close()]);
  const results = {
    date: new Date().toISOString(),
    machine,
    calls: CALLS,
    indexSize: matcher.index.size,
    suggestionsStored: suggestions.suggestions.length,
    identifyMs: { online: summary(on), offline: summary(off) },
    addedP50Ms: round(quantile(on, 0.5) - quantile(off, 0.5)),
    scoringStepMs: summary(hook.slice(-CALLS)),
    febrl3Index: febrlIndexScoring(),
    target: { addedP50Ms: 5 },
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/match-online.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

await main();
