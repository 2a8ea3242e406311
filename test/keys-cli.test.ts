import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirInUseError } from '../src/embedded/dynalite.js';
import { graphql, startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const TRACE_ID = expect.stringMatching(/^[0-9a-f]{32}$/);

/** `npm run keys -- …` as an operator runs it: a child process with the gateway's environment. */
async function keys(dataDir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/keys.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, C360_DATA_DIR: dataDir },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function keysJson<T = Record<string, unknown>>(dataDir: string, ...args: string[]): Promise<T> {
  const result = await keys(dataDir, ...args, '--json');
  expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(result.stdout) as T;
}

const viewer = (url: string, apiKey: string) => graphql(url, '{ viewer { id name scopes purposes } }', { apiKey });

interface CreatedKey {
  key: string;
  keyId: string;
  clientName: string;
  scopes: string[];
  purposes: string[];
}

describe('npm run keys', () => {
  let dataDir: string;
  let gw: TestGateway | undefined;
  const start = async () => {
    gw = await startTestGateway({ C360_DATA_DIR: dataDir, C360_API_KEY_CACHE_MS: '0', C360_SOURCE_TIMEOUT_MS: '5000' });
    return gw;
  };

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'c360-keys-'));
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a key while the gateway is stopped, which the gateway then accepts', async () => {
    const created = await keysJson<CreatedKey>(dataDir, 'create', '--client', 'Offline partner', '--scopes', 'customer:read,segments:read', '--purposes', 'marketing', '--expires-in', '30d');
    expect(created).toEqual({
      key: expect.stringMatching(new RegExp(`^c360_${created.keyId}\\.[A-Za-z0-9_-]{43}$`)),
      keyId: expect.stringMatching(/^[a-z0-9]{12}$/),
      clientName: 'Offline partner',
      scopes: ['customer:read', 'segments:read'],
      purposes: ['MARKETING'],
      createdAt: expect.any(String),
      expiresAt: expect.any(String),
      revoked: false,
      rateLimitPerMinute: null,
      trustedDocumentsOnly: false,
    });
    const url = (await start()).url;
    expect((await viewer(url, created.key)).body).toEqual({
      data: { viewer: { id: `key:${created.keyId}`, name: 'Offline partner', scopes: ['customer:read', 'segments:read'], purposes: ['MARKETING'] } },
      extensions: { traceId: TRACE_ID },
    });
  });

  it('talks to the running gateway: create, use, rotate, revoke', async () => {
    const url = gw!.url;
    const created = await keysJson<CreatedKey>(dataDir, 'create', '--client', 'Partner', '--scopes', 'customer:read', '--purposes', 'support', '--rate-limit', '600');
    expect((await viewer(url, created.key)).status).toBe(200);

    const rotated = await keysJson<CreatedKey & { previous: { keyId: string; revoked: boolean; replacedBy: string } }>(dataDir, 'rotate', created.keyId);
    expect(rotated).toMatchObject({ clientName: 'Partner', scopes: ['customer:read'], purposes: ['SUPPORT'], rateLimitPerMinute: 600 });
    expect(rotated.previous).toMatchObject({ keyId: created.keyId, revoked: true, replacedBy: rotated.keyId });
    expect((await viewer(url, rotated.key)).status).toBe(200);
    const old = await viewer(url, created.key);
    expect({ status: old.status, body: old.body }).toEqual({ status: 401, body: { errors: [{ message: 'Invalid API key: API key revoked.', extensions: { code: 'UNAUTHENTICATED' } }] } });

    await keysJson(dataDir, 'revoke', rotated.keyId);
    expect((await viewer(url, rotated.key)).status).toBe(401);
  });

  it('rotates with a grace period: both keys work until it ends', async () => {
    const created = await keysJson<CreatedKey>(dataDir, 'create', '--client', 'Graceful', '--scopes', 'customer:read', '--purposes', 'support');
    const rotated = await keysJson<CreatedKey & { previous: { expiresAt: string; revoked: boolean } }>(dataDir, 'rotate', created.keyId, '--grace', '1h');
    expect(rotated.previous.revoked).toBe(false);
    expect(Date.parse(rotated.previous.expiresAt) - Date.now()).toBeGreaterThan(55 * 60_000);
    expect((await viewer(gw!.url, created.key)).status).toBe(200);
    expect((await viewer(gw!.url, rotated.key)).status).toBe(200);
  });

  it('creates a key with pseudonyms of its own, and shows who administered keys, when and how, never a secret', async () => {
    const created = await keysJson<CreatedKey & { pseudonymScope: string }>(
      dataDir,
      'create',
      '--client',
      'Private partner',
      '--scopes',
      'customer:read',
      '--purposes',
      'analytics',
      '--pseudonym-scope',
      'principal',
    );
    expect(created.pseudonymScope).toBe('principal');
    const history = await keysJson<Array<{ principal: string; operation: string; customerIds: string[]; detail: Record<string, unknown> }>>(dataDir, 'history', '--first', '50');
    expect(history[0]).toMatchObject({
      principal: expect.stringMatching(/^operator:/),
      operation: 'keys create',
      customerIds: ['@keys'],
      detail: { keyId: created.keyId, change: 'create', scopes: 'customer:read', purposes: 'ANALYTICS', pseudonymScope: 'principal' },
    });
    expect(history.map((record) => record.operation)).toEqual(expect.arrayContaining(['keys create', 'keys rotate', 'keys revoke']));
    expect(JSON.stringify(history)).not.toContain(created.key.split('.')[1]);
    const bad = await keys(dataDir, 'create', '--client', 'X', '--scopes', 'customer:read', '--pseudonym-scope', 'everyone');
    // A bad value is a usage error, checked before the store opens (docs/security.md: exit 64).
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({ code: 64, stderr: expect.stringContaining('pseudonymScope: expected shared or principal') });
  });

  it('lists keys without secrets or their hashes', async () => {
    const result = await keys(dataDir, 'list', '--json');
    const listed = JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    expect(listed.map((key) => key.clientName)).toEqual(expect.arrayContaining(['Offline partner', 'Partner', 'Graceful', 'Demo call centre']));
    expect(listed.every((key) => !('secretHash' in key) && !('key' in key))).toBe(true);
    const human = await keys(dataDir, 'list');
    expect(human.stdout).toContain('Partner  [revoked]');
  });

  // The rest of the input checks are in src/auth/keyAdmin.test.ts; these prove the CLI reports them with the documented exit codes:
  // 64 for a usage error (the command, an option, or a value the operator typed), 1 for a refusal by the store.
  it.each([
    [['create', '--client', 'X', '--scopes', 'customer:everything'], 64, 'scopes.0: unknown scope'],
    [['create', '--scopes', 'customer:read'], 64, 'clientName: expected a client name'],
    [['create', '--client', 'X', '--scopes', 'customer:read', '--purposes', 'curiosity'], 64, 'purposes.0: unknown purpose'],
    [['create', '--client', 'X', '--scopes', 'customer:read', '--expires-in', 'soon'], 64, '--expires-in is not a duration'],
    [['create', '--client', 'X', '--scopes', 'customer:read', '--rate-limit', 'lots'], 64, 'rateLimitPerMinute:'],
    [['create', '--client', 'X', '--scopes', 'customer:read', 'extra'], 64, 'create takes options only'],
    [['rotate', 'somekey', '--grace', 'forever'], 64, '--grace is not a duration'],
    [['revoke'], 64, 'revoke takes one key id'],
    [['--bogus'], 64, "Unknown option '--bogus'"],
    [['explode'], 64, 'unknown command "explode"'],
    [['revoke', 'nosuchkey'], 1, 'No key with id nosuchkey.'],
  ])('refuses %j with exit code %i', async (args, code, message) => {
    const result = await keys(dataDir, ...args);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
    expect(result.stderr).toContain(message);
  });

  it('keeps a second gateway off a data dir that is in use', async () => {
    await expect(startTestGateway({ C360_DATA_DIR: dataDir })).rejects.toBeInstanceOf(DataDirInUseError);
  });

  it('refuses to manage keys in memory, where they would vanish: a configuration error (78), after usage is checked (64)', async () => {
    const result = await keys('memory', 'list');
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 78, stderr: expect.stringContaining('C360_DATA_DIR=memory keeps nothing') });
    expect((await keys('memory', 'explode')).code).toBe(64);
  });
});
