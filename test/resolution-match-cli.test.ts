import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suggestionId } from '../src/identity/suggestions.js';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { ADMIN_KEY, identify } from './support/writes.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/**
 * `npm run resolution:match` as an operator runs it: a child process with
 * the gateway's environment, while the gateway holds the embedded data dir
 * (the tool goes through its store). Online scoring is off here, so the
 * pairs wait for the batch run.
 */
let gw: TestGateway;
let dataDir: string;

async function match(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/resolution-match.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, C360_DATA_DIR: dataDir, C360_LOG_LEVEL: 'warn' },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function report(...args: string[]): Promise<Record<string, unknown>> {
  const result = await match(...args, '--json');
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

async function status(id: string): Promise<string | undefined> {
  for (const filter of ['OPEN', 'ACCEPTED', 'REJECTED']) {
    const listed = await graphql<{ mergeSuggestions: { edges: Array<{ node: { id: string } }> } }>(
      gw.url,
      'query($s: SuggestionStatus) { mergeSuggestions(first: 100, status: $s) { edges { node { id } } } }',
      { apiKey: ADMIN_KEY, variables: { s: filter } },
    );
    if (listed.body.data!.mergeSuggestions.edges.some((edge) => edge.node.id === id)) return filter;
  }
  return undefined;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'c360-resolution-match-'));
  gw = await startTestGateway({ C360_DATA_DIR: dataDir, C360_DEMO_CUSTOMERS: '30', C360_MATCH_ONLINE: 'false', C360_RATE_LIMIT_PER_MINUTE: '0' });
});
afterAll(async () => {
  await gw?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run resolution:match', { timeout: 120_000 }, () => {
  it('stores a MATCH suggestion per pair above the review threshold, once: a repeat adds none and a rejected pair stays rejected', async () => {
    const pairs: string[] = [];
    for (const [surname, typo, birthDate] of [
      ['Kowalczyk', 'Kowalczik', '1971-01-30'],
      ['Desrosiers', 'Desrosier', '1993-07-04'],
    ] as const) {
      const a = await identify(gw.url, [{ type: 'EMAIL', value: `${surname.toLowerCase()}@example.org` }], { firstName: 'Jo', lastName: surname, birthDate });
      const b = await identify(gw.url, [{ type: 'PHONE', value: `+1 415 555 01${String(10 + pairs.length)}` }], { firstName: 'Jo', lastName: typo, birthDate });
      pairs.push(suggestionId([a.customer.id, b.customer.id]));
    }
    expect(await Promise.all(pairs.map(status))).toEqual([undefined, undefined]);

    const dry = await report('--dry-run');
    expect(dry).toMatchObject({ model: 'febrl3', threshold: 0.5, suggestedPairs: 2, created: 0, existing: 0 });
    expect(await Promise.all(pairs.map(status))).toEqual([undefined, undefined]);

    const first = await report();
    // 30 demo customers, the two documented ones and the four above; the demo data holds no duplicates.
    expect(first).toEqual({
      model: 'febrl3',
      threshold: 0.5,
      customers: 36,
      compared: 36,
      candidatePairs: expect.any(Number),
      comparablePairs: (36 * 35) / 2,
      blockingFraction: expect.any(Number),
      skippedBlocks: {},
      suggestedPairs: 2,
      created: 2,
      existing: 0,
      seconds: expect.any(Number),
    });
    expect(first.blockingFraction).toBeLessThan(0.05);
    expect(await Promise.all(pairs.map(status))).toEqual(['OPEN', 'OPEN']);

    const rejected = await graphql(gw.url, 'mutation($id: ID!) { rejectMergeSuggestion(id: $id, reason: "siblings") { status } }', { apiKey: ADMIN_KEY, variables: { id: pairs[0] } });
    expect(withoutTraceId(rejected.body)).toEqual({ data: { rejectMergeSuggestion: { status: 'REJECTED' } } });
    expect(await report()).toMatchObject({ suggestedPairs: 2, created: 0, existing: 2 });
    expect(await Promise.all(pairs.map(status))).toEqual(['REJECTED', 'OPEN']);
  });

  it('prints a summary for a person, without a value', async () => {
    const result = await match();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^model febrl3, threshold 0\.5: 36 customers \(36 with values to compare\)\n\d+ candidate pairs of 630 \([\d.]+% of all pairs\) scored in [\d.]+ s\n2 pairs at or above the threshold: 0 new suggestions, 2 already suggested or decided \(left as they were\)\n\(the running gateway's store/);
    expect(result.stdout).not.toMatch(/Kowalcz|Desrosier|Jo\b/);
  });

  it('refuses bad options (exit 64) and a model file it cannot use (exit 78, naming the file and the place in it)', async () => {
    const file = join(dataDir, 'broken-model.json');
    writeFileSync(file, JSON.stringify({ format: 'c360-match-model/1' }));
    const cases = [
      { args: ['--threshold', '1'], code: 64, message: '--threshold must be a probability strictly between 0 and 1' },
      { args: ['--threshold', 'high'], code: 64, message: '--threshold must be a probability strictly between 0 and 1' },
      { args: ['--everything'], code: 64, message: "Unknown option '--everything'" },
      { args: ['--model', file], code: 78, message: `match model ${file}: name:` },
    ];
    const results = await Promise.all(cases.map(({ args }) => match(...args)));
    expect(results.map(({ code, stdout, stderr }, i) => ({ code, stdout, mentions: stderr.includes(cases[i]!.message) }))).toEqual(
      cases.map(({ code }) => ({ code, stdout: '', mentions: true })),
    );
  });
});
