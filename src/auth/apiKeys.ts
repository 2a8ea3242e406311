import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Span } from '@opentelemetry/api';
import { LRUCache } from 'lru-cache';
import type { ApiKeyRecord } from '../domain/index.js';
import type { ApiKeyPort } from '../../connectors/singleview/port.js';
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

export function secretMatches(secret: string, storedHash: string | Buffer): boolean {
  const presented = createHash('sha256').update(secret).digest();
  const stored = typeof storedHash === 'string' ? Buffer.from(storedHash, 'hex') : storedHash;
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
 * Where key records are read: the single view's key lookups, guarded apart
 * from customer reads (src/sources.ts: the single view's deadline, with a
 * separate concurrency budget and breaker), so a slow or failing single view
 * refuses a request in time (SourceError) instead of holding it, and a flood
 * of customer reads cannot starve authentication nor a flood of made-up keys
 * open the circuit customer reads go through. Cached keys are not looked up.
 */
export type KeyLookup = Pick<ApiKeyPort, 'getApiKey'>;

export interface ApiKeyCacheOptions {
  /** How long a found key record is kept: revocation and expiry take effect within it. 0: no cache. */
  readonly cacheMs: number;
  readonly allowDemoKeys: boolean;
  /** Most key records kept; the least recently used go first. */
  readonly cacheSize?: number;
  /** How long a well-formed key id that matches no key is remembered as unknown. 0: not remembered. */
  readonly negativeCacheMs?: number;
}

type CachedRecord = { readonly record: ApiKeyRecord | null; readonly until: number };

/**
 * Checks presented keys against the single view, caching the stored record
 * for `cacheMs` so a busy key costs one read per interval; revocation and
 * expiry therefore take effect within `cacheMs` (default 5 s).
 *
 * Two bounded caches, least recently used out first (docs/security.md,
 * "Floods"): found keys, and key ids that matched nothing. They are apart so
 * that a flood of made-up keys only ever evicts other made-up keys, never a
 * partner's key, and a repeated made-up key costs no read for
 * `negativeCacheMs`.
 */
export class ApiKeyAuthenticator {
  private readonly known: LRUCache<string, CachedRecord>;
  private readonly unknown: LRUCache<string, CachedRecord>;
  /** The principal of each cached record, made once: requests of one key share it (and the operation plans keyed by it). */
  private readonly principals = new WeakMap<ApiKeyRecord, Principal>();
  /** The stored hash of each cached record as bytes, decoded once rather than on every request. */
  private readonly storedHashes = new WeakMap<ApiKeyRecord, Buffer>();
  /**
   * The secret each cached record last matched, as bytes: the same key presented again is compared with it
   * in constant time (timingSafeEqual) instead of hashed again. It lives as long as the cached record (at
   * most `cacheMs`), in memory only, and only after the presented secret matched the stored hash.
   */
  private readonly matchedSecrets = new WeakMap<ApiKeyRecord, Buffer>();
  /** Lookups under way: a burst of requests with one uncached key costs one read, not one each. */
  private readonly pending = new Map<string, Promise<ApiKeyRecord | null>>();

  constructor(
    private readonly store: KeyLookup,
    private readonly options: ApiKeyCacheOptions,
    private readonly clock: () => number = Date.now,
  ) {
    const size = Math.max(1, options.cacheSize ?? 10_000);
    this.known = new LRUCache({ max: size });
    this.unknown = new LRUCache({ max: size });
  }

  /** `parentSpan`: the request's span; a lookup that requests share is a child of the first one's. */
  async check(presented: string, parentSpan?: Span): Promise<KeyCheck> {
    const parsed = parseApiKey(presented);
    if (!parsed) return { status: 'invalid', reason: 'malformed API key' };
    return this.verdict(parsed, await this.lookup(parsed.keyId, parentSpan));
  }

  /**
   * The answer without a read, when the cache has one: a valid key a partner
   * keeps using is admitted even while its address is being refused for
   * others' failed attempts. Undefined when only a read can tell.
   */
  cachedCheck(presented: string): KeyCheck | undefined {
    const parsed = parseApiKey(presented);
    if (!parsed) return { status: 'invalid', reason: 'malformed API key' };
    const cached = this.fresh(parsed.keyId);
    return cached === undefined ? undefined : this.verdict(parsed, cached.record);
  }

  /** Whether a lookup of this key's id is under way: another request with it costs no read. */
  lookupPending(presented: string): boolean {
    const parsed = parseApiKey(presented);
    return parsed !== undefined && this.pending.has(parsed.keyId);
  }

  /** Forget cached records (after `keys revoke` in the same process, and in tests). */
  invalidate(keyId?: string): void {
    if (keyId === undefined) {
      this.known.clear();
      this.unknown.clear();
    } else {
      this.known.delete(keyId);
      this.unknown.delete(keyId);
    }
  }

  private verdict(parsed: ParsedKey, record: ApiKeyRecord | null): KeyCheck {
    if (!record) return { status: 'invalid', reason: 'unknown API key' };
    if (!this.matches(parsed.secret, record)) return { status: 'invalid', reason: 'unknown API key' };
    if (record.demo && !this.options.allowDemoKeys) return { status: 'invalid', reason: 'demo keys work only in embedded demo mode' };
    if (record.revoked) return { status: 'invalid', reason: 'API key revoked' };
    if (record.expiresAt && Date.parse(record.expiresAt) <= this.clock()) return { status: 'invalid', reason: 'API key expired' };
    let principal = this.principals.get(record);
    if (!principal) this.principals.set(record, (principal = principalOf(record)));
    return { status: 'valid', principal };
  }

  /** Whether the secret is the record's: equal to the one it last matched, else by its SHA-256. */
  private matches(secret: string, record: ApiKeyRecord): boolean {
    const presented = Buffer.from(secret);
    const matched = this.matchedSecrets.get(record);
    if (matched && matched.length === presented.length && timingSafeEqual(matched, presented)) return true;
    let stored = this.storedHashes.get(record);
    if (!stored) this.storedHashes.set(record, (stored = Buffer.from(record.secretHash, 'hex')));
    if (!secretMatches(secret, stored)) return false;
    this.matchedSecrets.set(record, presented);
    return true;
  }

  private fresh(keyId: string): CachedRecord | undefined {
    const cached = this.known.get(keyId) ?? this.unknown.get(keyId);
    return cached && cached.until > this.clock() ? cached : undefined;
  }

  private async lookup(keyId: string, parentSpan?: Span): Promise<ApiKeyRecord | null> {
    const cached = this.fresh(keyId);
    if (cached) return cached.record;
    let pending = this.pending.get(keyId);
    if (!pending) {
      pending = this.read(keyId, parentSpan).finally(() => this.pending.delete(keyId));
      this.pending.set(keyId, pending);
    }
    return pending;
  }

  private async read(keyId: string, parentSpan?: Span): Promise<ApiKeyRecord | null> {
    const record = await this.store.getApiKey(keyId, { parentSpan });
    const keepMs = record ? this.options.cacheMs : (this.options.negativeCacheMs ?? this.options.cacheMs);
    if (keepMs > 0) (record ? this.known : this.unknown).set(keyId, { record, until: this.clock() + keepMs });
    if (record) this.unknown.delete(keyId);
    return record;
  }
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
export async function installDemoKeys(store: Pick<ApiKeyPort, 'putApiKey'>, now = new Date()): Promise<void> {
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
