import { execFile } from 'node:child_process';
import { createHmac, hkdfSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config.js';
import { TEST_PSEUDONYM_KEY, dynamoSingleView, graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { ROOT } from './support/process.js';
import { ADMIN_KEY, INGEST_KEY } from './support/writes.js';

/**
 * The suppression list's key (docs/erasure.md, "The key" and "Rotating the
 * keys"): derived from C360_PSEUDONYM_KEY unless C360_SUPPRESSION_KEY is set,
 * the random per-data-dir key in demo mode, and never changed in silence: a
 * gateway whose key is not the one the list was written under refuses to
 * start, and the documented rotation keeps every suppression. The derived
 * key is computed here as the docs tell an operator to (HKDF-SHA-256 with
 * the info `c360/suppression`), not taken from the code.
 */
const derived = (secret: string | Buffer) => Buffer.from(hkdfSync('sha256', secret, '', 'c360/suppression', 32)).toString('hex');
const entryHash = (key: string, type: string, value: string) => createHmac('sha256', key).update(`${type}#${value}`).digest('hex');
/** Another random-looking pseudonym secret: the one a rotation moves to. */
const ROTATED_KEY = '2d7b9e41c6a85f03e1b7d92c4a6f08e3b5d7c19a2e4f6b8d0c3a5e7f9b1d4c6e';

const FORGET = 'mutation($identity: IdentityInput!) { forgetCustomer(identity: $identity) { customerId completedAt } }';
const LIFT = 'mutation($identity: IdentityInput!) { liftSuppression(identity: $identity) }';
const TRACK = 'mutation($input: TrackInput!) { track(input: $input) { customerId } }';

const dirs: string[] = [];
const open: TestGateway[] = [];
afterAll(async () => {
  await Promise.all(open.map((gw) => gw.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'c360-suppression-key-'));
  dirs.push(dir);
  return dir;
}

async function start(dir: string, env: Record<string, string | undefined> = {}): Promise<TestGateway> {
  const gw = await startTestGateway({ C360_DATA_DIR: dir, C360_DEMO_CUSTOMERS: '5', ...env });
  open.push(gw);
  return gw;
}

async function stop(gw: TestGateway): Promise<void> {
  open.splice(open.indexOf(gw), 1);
  await gw.close();
}

/** The suppression list as stored: every entry, and the key fingerprint beside them. */
async function storedList(gw: TestGateway): Promise<Array<Record<string, unknown>>> {
  const store = dynamoSingleView(gw);
  const { Items = [] } = await store.document.send(new ScanCommand({ TableName: store.tables.suppressions }));
  return Items;
}

async function erase(gw: TestGateway, identity: { type: string; value: string }): Promise<string> {
  const response = await graphql<{ forgetCustomer: { customerId: string; completedAt: string | null } }>(gw.url, FORGET, { apiKey: ADMIN_KEY, variables: { identity } });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.forgetCustomer.customerId;
}

async function trackCode(gw: TestGateway, identity: { type: string; value: string }): Promise<unknown> {
  const response = await graphql(gw.url, TRACK, { apiKey: INGEST_KEY, variables: { input: { identity, type: 'Page Viewed' } } });
  return response.body.errors?.[0]?.extensions?.code ?? 'STORED';
}

async function startError(dir: string, env: Record<string, string | undefined>): Promise<Error> {
  try {
    await start(dir, env);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the gateway started');
}

describe('the suppression list key', () => {
  it('is derived from C360_PSEUDONYM_KEY; a gateway with another key refuses to start, and the documented rotation keeps every suppression', async () => {
    const dir = dataDir();
    const person = { type: 'EMAIL', value: 'rotate.me@example.org' };
    const first = await start(dir);
    await graphql(first.url, 'mutation($i: IdentifyInput!) { identify(input: $i) { merged } }', { apiKey: INGEST_KEY, variables: { i: { identities: [person] } } });
    const erasedId = await erase(first, person);
    const oldKey = derived(TEST_PSEUDONYM_KEY);
    const list = await storedList(first);
    expect(list.map((entry) => entry.hash)).toContain(entryHash(oldKey, 'EMAIL', 'rotate.me@example.org'));
    const fingerprint = list.find((entry) => entry.hash === 'key-fingerprint');
    expect(fingerprint).toEqual({ hash: 'key-fingerprint', fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) });
    await stop(first);

    // C360_PSEUDONYM_KEY rotated without pinning the suppression key: the start is refused, naming what to set, echoing no secret.
    const refused = await startError(dir, { C360_PSEUDONYM_KEY: ROTATED_KEY });
    expect(refused).toBeInstanceOf(ConfigError);
    expect(refused.message).toBe(
      'The suppression list in the single view was written under another key than this gateway has (C360_SUPPRESSION_KEY, or when it is not set ' +
        "the key derived from C360_PSEUDONYM_KEY): with this key every erased person's identifiers would be accepted again. Set " +
        'C360_SUPPRESSION_KEY to the key the list was written under; after a rotation of C360_PSEUDONYM_KEY that is the key derived from the old one ' +
        '(docs/erasure.md, "Rotating the keys").',
    );
    // So is an override that is not the list's key.
    expect(await startError(dir, { C360_SUPPRESSION_KEY: derived(ROTATED_KEY) })).toBeInstanceOf(ConfigError);

    // The import command, run with the rotated key alone, stops before writing: a configuration error.
    const file = join(dir, 'pairs.csv');
    writeFileSync(file, 'EMAIL,CRM_ID\nrotate.me@example.org,C-1\n');
    const imported = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/identities-import.ts', '--file', file], {
      cwd: ROOT,
      env: { ...process.env, C360_DATA_DIR: dir, C360_DEMO_CUSTOMERS: '5', C360_PSEUDONYM_KEY: ROTATED_KEY },
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
    );
    expect(imported.code).toBe(78);
    expect(imported.stderr).toContain('Set C360_SUPPRESSION_KEY to the key the list was written under');
    for (const secret of [TEST_PSEUDONYM_KEY, ROTATED_KEY, oldKey]) expect(imported.stderr + refused.message).not.toContain(secret);

    // The documented rotation: the old derived key pinned as C360_SUPPRESSION_KEY, then the new pseudonym key.
    const rotated = await start(dir, { C360_PSEUDONYM_KEY: ROTATED_KEY, C360_SUPPRESSION_KEY: oldKey });
    expect(await trackCode(rotated, person)).toBe('SUPPRESSED');
    expect(await trackCode(rotated, { type: 'EMAIL', value: 'never.erased@example.org' })).toBe('STORED');
    const lifted = await graphql(rotated.url, LIFT, { apiKey: ADMIN_KEY, variables: { identity: person } });
    expect(withoutTraceId(lifted.body)).toEqual({ data: { liftSuppression: true } });
    expect(await trackCode(rotated, person)).toBe('STORED');
    // The lift is on the erased customer's trail, beside the erasure.
    const trail = await graphql<{ auditTrail: { edges: Array<{ node: { operation: string; detail: unknown } }> } }>(
      rotated.url,
      'query($id: ID!) { auditTrail(customerId: $id, first: 10) { edges { node { operation detail } } } }',
      { apiKey: ADMIN_KEY, variables: { id: erasedId } },
    );
    expect(trail.body.data!.auditTrail.edges.map((edge) => edge.node.operation)).toEqual(['liftSuppression', 'forgetCustomer']);
    await stop(rotated);
  });

  it('in demo mode is derived from the data dir\'s random pseudonym key, so suppressions survive a restart of the same demo', async () => {
    const dir = dataDir();
    const person = { type: 'PHONE', value: '+14155550123' };
    const demo = await start(dir, { C360_PSEUDONYM_KEY: undefined });
    await erase(demo, person);
    const randomKey = Buffer.from(readFileSync(join(dir, 'pseudonym.key'), 'utf8').trim(), 'hex');
    const hashes = (await storedList(demo)).map((entry) => entry.hash);
    expect(hashes).toContain(entryHash(derived(randomKey), 'PHONE', '+14155550123'));
    // No published key: the demo's entries are not the HMAC under any fixed string a reader of the code could try.
    expect(hashes).not.toContain(entryHash(derived(TEST_PSEUDONYM_KEY), 'PHONE', '+14155550123'));
    await stop(demo);

    const again = await start(dir, { C360_PSEUDONYM_KEY: undefined });
    expect(await trackCode(again, person)).toBe('SUPPRESSED');
    await stop(again);
  });
});
