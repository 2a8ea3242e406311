import { describe, expect, it } from 'vitest';
import type { ApiKeyRecord, AuditRecordModel } from '../domain/index.js';
import { AuditLog } from '../audit/index.js';
import { hashSecret, parseApiKey } from './apiKeys.js';
import { KeyAdminError, createKey, parseDuration, revokeKey, rotateKey } from './keyAdmin.js';
import type { KeyAdminAudit, KeyStore } from './keyAdmin.js';

/** A key store over a Map; the DynamoDB adapter behind `npm run keys` is exercised in test/keys-cli.test.ts. */
function memoryStore(): KeyStore & { records: Map<string, ApiKeyRecord> } {
  const records = new Map<string, ApiKeyRecord>();
  return {
    records,
    getApiKey: async (keyId) => records.get(keyId) ?? null,
    putApiKey: async (record) => void records.set(record.keyId, record),
    listApiKeys: async () => [...records.values()],
  };
}

const valid = { clientName: 'Partner', scopes: ['customer:read'], purposes: ['support'] };

/** The audit trail of key administration, kept in memory; `failing` refuses every record, as a store that is down would. */
function recordedAudit(failing = false): KeyAdminAudit & { records: AuditRecordModel[] } {
  const records: AuditRecordModel[] = [];
  const sink = {
    async write(written: readonly AuditRecordModel[]) {
      if (failing) throw new Error('audit store down');
      records.push(...written);
    },
  };
  return { log: new AuditLog(sink, () => new Date('2030-01-01T00:00:00.000Z')), operator: 'operator:test', records };
}
const audit = recordedAudit();

describe('createKey', () => {
  it('stores the hash of a fresh secret and returns the secret once', async () => {
    const store = memoryStore();
    const { key, record } = await createKey(store, { ...valid, rateLimitPerMinute: 60 }, audit);
    const parsed = parseApiKey(key)!;
    expect(store.records.get(parsed.keyId)).toEqual({
      keyId: parsed.keyId,
      secretHash: hashSecret(parsed.secret),
      clientName: 'Partner',
      scopes: ['customer:read'],
      purposes: ['SUPPORT'],
      createdAt: record.createdAt,
      expiresAt: null,
      revoked: false,
      rateLimitPerMinute: 60,
      trustedDocumentsOnly: false,
    });
    expect(JSON.stringify([...store.records.values()])).not.toContain(parsed.secret);
  });

  it.each([
    [{ clientName: ' ' }, 'clientName: expected a client name'],
    [{ scopes: [] }, 'scopes: expected at least one scope'],
    [{ scopes: ['customer:everything'] }, 'scopes.0: unknown scope'],
    [{ purposes: ['curiosity'] }, 'purposes.0: unknown purpose'],
    [{ expiresAt: 'next tuesday' }, 'expiresAt: expected an ISO 8601 time'],
    [{ expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt: expected a time in the future'],
    [{ rateLimitPerMinute: 0 }, 'rateLimitPerMinute: expected a positive number'],
    [{ rateLimitPerMinute: 1.5 }, 'rateLimitPerMinute: expected a whole number'],
  ])('refuses %j', async (override, message) => {
    await expect(createKey(memoryStore(), { ...valid, ...override }, audit)).rejects.toThrow(message);
  });
});

describe('revokeKey and rotateKey', () => {
  it('revokes by key id or by the whole key', async () => {
    const store = memoryStore();
    const { key, record } = await createKey(store, valid, audit);
    expect((await revokeKey(store, key, audit)).revoked).toBe(true);
    expect(store.records.get(record.keyId)?.revoked).toBe(true);
  });

  it('rotates without grace by revoking the old key, with grace by letting it expire', async () => {
    const store = memoryStore();
    const now = new Date('2030-01-01T00:00:00.000Z');
    const first = await createKey(store, { ...valid, expiresAt: '2030-06-01T00:00:00.000Z' }, audit, new Date());
    const hard = await rotateKey(store, first.record.keyId, audit, 0, now);
    expect(hard.previous).toMatchObject({ revoked: true, replacedBy: hard.next.record.keyId });
    expect(hard.next.record).toMatchObject({ clientName: 'Partner', scopes: ['customer:read'], purposes: ['SUPPORT'], expiresAt: '2030-06-01T00:00:00.000Z' });

    const soft = await rotateKey(store, hard.next.record.keyId, audit, parseDuration('2h'), now);
    expect(soft.previous).toMatchObject({ revoked: false, expiresAt: '2030-01-01T02:00:00.000Z', replacedBy: soft.next.record.keyId });
  });

  it.each([
    ['an unknown key', async (store: KeyStore) => rotateKey(store, 'nosuchkey', audit), 'No key with id nosuchkey.'],
    ['a revoked key', async (store: KeyStore) => rotateKey(store, (await revokeKey(store, (await createKey(store, valid, audit)).key, audit)).keyId, audit), 'is revoked'],
    ['a demo key', async (store: KeyStore) => {
      await store.putApiKey({ keyId: 'demo_x', secretHash: 'h', clientName: 'Demo', scopes: [], purposes: [], createdAt: '2026-01-01T00:00:00Z', revoked: false, demo: true });
      return rotateKey(store, 'demo_x', audit);
    }, 'demo keys are reset at every start'],
  ])('refuses to rotate %s', async (_case, action, message) => {
    await expect(action(memoryStore())).rejects.toThrow(KeyAdminError);
    await expect(action(memoryStore())).rejects.toThrow(message);
  });

  it('keeps principal-scoped pseudonyms with the key line across a rotation', async () => {
    const store = memoryStore();
    const first = await createKey(store, { ...valid, pseudonymScope: 'principal' }, audit);
    expect(first.record).toMatchObject({ pseudonymScope: 'principal' });
    const { next } = await rotateKey(store, first.record.keyId, audit);
    expect(next.record).toMatchObject({ pseudonymScope: 'principal', pseudonymSubject: first.record.keyId });
  });

  it.each([['30s', 30_000], ['15m', 900_000], ['12h', 43_200_000], ['90d', 7_776_000_000]])('reads the duration %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('refuses a duration it cannot read', () => {
    expect(() => parseDuration('a while')).toThrow('expected e.g. 30s, 15m, 12h or 90d');
  });
});

describe('key administration audit', () => {
  it('records create, rotate and revoke on the key trail, with the operator and never the secret', async () => {
    const store = memoryStore();
    const trail = recordedAudit();
    const created = await createKey(store, { ...valid, pseudonymScope: 'principal' }, trail);
    const rotated = await rotateKey(store, created.record.keyId, trail);
    await revokeKey(store, rotated.next.record.keyId, trail);
    expect(trail.records.map(({ id: _id, ...record }) => record)).toEqual([
      {
        at: '2030-01-01T00:00:00.000Z',
        principal: 'operator:test',
        purpose: null,
        operation: 'keys create',
        customerIds: ['@keys'],
        fields: [],
        traceId: null,
        detail: { keyId: created.record.keyId, change: 'create', scopes: 'customer:read', purposes: 'SUPPORT', pseudonymScope: 'principal' },
      },
      {
        at: '2030-01-01T00:00:00.000Z',
        principal: 'operator:test',
        purpose: null,
        operation: 'keys rotate',
        customerIds: ['@keys'],
        fields: [],
        traceId: null,
        detail: { keyId: created.record.keyId, change: 'rotate', replacedBy: rotated.next.record.keyId, graceMs: 0 },
      },
      {
        at: '2030-01-01T00:00:00.000Z',
        principal: 'operator:test',
        purpose: null,
        operation: 'keys revoke',
        customerIds: ['@keys'],
        fields: [],
        traceId: null,
        detail: { keyId: rotated.next.record.keyId, change: 'revoke' },
      },
    ]);
    const secrets = [created.key, rotated.next.key].map((key) => parseApiKey(key)!.secret);
    for (const secret of secrets) expect(JSON.stringify(trail.records)).not.toContain(secret);
  });

  it('creates and rotates nothing when the record cannot be written, and revokes anyway, saying the record is missing', async () => {
    const store = memoryStore();
    await expect(createKey(store, valid, recordedAudit(true))).rejects.toThrow('No key was created: its audit record could not be written (audit store down).');
    expect(store.records.size).toBe(0);

    const { record } = await createKey(store, valid, audit);
    await expect(rotateKey(store, record.keyId, recordedAudit(true))).rejects.toThrow('Nothing was rotated: its audit record could not be written');
    expect([...store.records.values()].map((key) => ({ keyId: key.keyId, revoked: key.revoked }))).toEqual([{ keyId: record.keyId, revoked: false }]);

    await expect(revokeKey(store, record.keyId, recordedAudit(true))).rejects.toThrow(`Key ${record.keyId} is revoked, but its audit record could not be written`);
    expect(store.records.get(record.keyId)?.revoked).toBe(true);
  });
});
