import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SourceGuard } from '../../connectors/resilience/sourceGuard.js';
import type { ApiKeyRecord, SingleViewPort } from '../../connectors/singleview/port.js';
import { DEMO_KEYS } from './demoKeys.js';
import type { Principal } from './principal.js';

/**
 * API keys look like `c360_<keyId>.<secret>`: the key id is public (it shows
 * in logs, audit records and `npm run keys -- list`), the secret is 32 random
 * bytes and only its SHA-256 is stored. A key without a dot (the demo keys)
 * has the whole string as its secret and the part after `c360_` as its id.
 *
 * A fast hash is enough here: the secrets are random, not passwords.
 */
export interface ParsedKey {
  readonly keyId: string;
  readonly secret: string;
}

const KEY_PREFIX = 'c360_';
const KEY_PATTERN = /^c360_([A-Za-z0-9_-]{1,64})(?:\.([A-Za-z0-9_-]{20,128}))?$/;

export function parseApiKey(presented: string): ParsedKey | undefined {
  const match = KEY_PATTERN.exec(presented.trim());
  if (!match) return undefined;
  return { keyId: match[1]!, secret: match[2] ?? presented.trim() };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashSecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

export interface NewKey {
  readonly key: string;
  readonly record: ApiKeyRecord;
}

export function mintApiKey(fields: Omit<ApiKeyRecord, 'keyId' | 'secretHash' | 'createdAt' | 'revoked'>, now = new Date()): NewKey {
  const keyId = randomBytes(9).toString('base64url').replace(/[_-]/g, 'x').toLowerCase();
  const secret = randomBytes(32).toString('base64url');
  return {
    key: `${KEY_PREFIX}${keyId}.${secret}`,
    record: { ...fields, keyId, secretHash: hashSecret(secret), createdAt: now.toISOString(), revoked: false },
  };
}

export type KeyCheck = { readonly status: 'valid'; readonly principal: Principal } | { readonly status: 'invalid'; readonly reason: string };

/**
 * Checks presented keys against the single view, caching the stored record
 * for `cacheMs` so a busy key costs one read per interval; revocation and
 * expiry therefore take effect within `cacheMs` (default 5 s).
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { record: ApiKeyRecord | null; until: number }>();
  /** Lookups under way: a burst of requests with one uncached key costs one read, not one each. */
  private readonly pending = new Map<string, Promise<ApiKeyRecord | null>>();

  constructor(
    private readonly store: Pick<SingleViewPort, 'getApiKey'>,
    private readonly options: { readonly cacheMs: number; readonly allowDemoKeys: boolean },
    private readonly clock: () => number = Date.now,
  ) {}

  async check(presented: string): Promise<KeyCheck> {
    const parsed = parseApiKey(presented);
    if (!parsed) return { status: 'invalid', reason: 'malformed API key' };
    const record = await this.lookup(parsed.keyId);
    if (!record || !secretMatches(parsed.secret, record.secretHash)) return { status: 'invalid', reason: 'unknown API key' };
    if (record.demo && !this.options.allowDemoKeys) return { status: 'invalid', reason: 'demo keys work only in embedded demo mode' };
    if (record.revoked) return { status: 'invalid', reason: 'API key revoked' };
    if (record.expiresAt && Date.parse(record.expiresAt) <= this.clock()) return { status: 'invalid', reason: 'API key expired' };
    return { status: 'valid', principal: principalOf(record) };
  }

  /** Forget cached records (after `keys revoke` in the same process, and in tests). */
  invalidate(keyId?: string): void {
    if (keyId === undefined) this.cache.clear();
    else this.cache.delete(keyId);
  }

  private async lookup(keyId: string): Promise<ApiKeyRecord | null> {
    const cached = this.cache.get(keyId);
    if (cached && cached.until > this.clock()) return cached.record;
    let pending = this.pending.get(keyId);
    if (!pending) {
      pending = this.read(keyId).finally(() => this.pending.delete(keyId));
      this.pending.set(keyId, pending);
    }
    return pending;
  }

  private async read(keyId: string): Promise<ApiKeyRecord | null> {
    const record = await this.store.getApiKey(keyId);
    if (this.options.cacheMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(keyId, { record, until: this.clock() + this.options.cacheMs });
    }
    return record;
  }
}

/**
 * Key lookups through the single view's guard: its deadline and breaker, so
 * a slow or failing single view refuses a request in time (SourceError)
 * instead of holding it. Cached keys are not looked up at all.
 */
export function guardedKeyStore(store: Pick<SingleViewPort, 'getApiKey'>, guard: SourceGuard): Pick<SingleViewPort, 'getApiKey'> {
  return {
    getApiKey: (keyId) => guard.run({ operation: 'getApiKey', batchSize: 1, idempotent: true }, () => store.getApiKey(keyId)),
  };
}

function principalOf(record: ApiKeyRecord): Principal {
  return {
    kind: 'apiKey',
    id: `key:${record.keyId}`,
    name: record.clientName,
    scopes: new Set(record.scopes),
    purposes: new Set(record.purposes),
    rateLimitPerMinute: record.rateLimitPerMinute,
    trustedDocumentsOnly: record.trustedDocumentsOnly ?? false,
    ...(record.pseudonymScope === 'principal' ? { pseudonymSubject: `key:${record.pseudonymSubject ?? record.keyId}` } : {}),
  };
}

/** Writes the demo keys (embedded demo mode only). Idempotent: same key, same record. */
export async function installDemoKeys(store: Pick<SingleViewPort, 'putApiKey'>, now = new Date()): Promise<void> {
  await Promise.all(
    DEMO_KEYS.map((demo) => {
      const parsed = parseApiKey(demo.key)!;
      return store.putApiKey({
        keyId: parsed.keyId,
        secretHash: hashSecret(parsed.secret),
        clientName: demo.clientName,
        scopes: demo.scopes,
        purposes: demo.purposes,
        createdAt: now.toISOString(),
        revoked: false,
        demo: true,
      });
    }),
  );
}
