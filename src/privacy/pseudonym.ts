import { createHmac, createSecretKey, hkdfSync, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';

/**
 * `hash` is a keyed pseudonym (docs/privacy.md, "Pseudonyms"): HMAC-SHA-256
 * of the normalized value under a secret, so nobody without the secret can
 * recompute it from a guessed value (an email, a phone number, a CRM id: all
 * small or known sets). A principal whose key or token says
 * `pseudonymScope: principal` gets pseudonyms under a key derived for it
 * alone, so two partners cannot join their data sets on them.
 */
export type Pseudonymize = (normalized: string) => string;

/** Bits of a random secret the key must hold at least (a 32-byte random value holds 256). */
const MIN_ENTROPY_BITS = 128;
export const MIN_KEY_LENGTH = 32;

/** Why a configured secret is refused, in words that never quote it; undefined when it will do. */
export function pseudonymKeyProblem(secret: string): string | undefined {
  if (secret.length < MIN_KEY_LENGTH) return `expected at least ${MIN_KEY_LENGTH} characters of a random secret (e.g. openssl rand -hex 32)`;
  if (estimatedEntropyBits(secret) < MIN_ENTROPY_BITS) {
    return 'looks low-entropy (repeated or patterned characters); use a random secret such as openssl rand -hex 32';
  }
  return undefined;
}

/**
 * Shannon entropy of the characters, times the length: a generous upper
 * bound for a human-chosen string, close for a random one. It refuses what
 * is plainly not random (`aaaa…`, `abab…`, a short word repeated).
 */
export function estimatedEntropyBits(secret: string): number {
  const counts = new Map<string, number>();
  for (const char of secret) counts.set(char, (counts.get(char) ?? 0) + 1);
  const length = [...secret].length;
  let perChar = 0;
  for (const count of counts.values()) perChar -= (count / length) * Math.log2(count / length);
  return perChar * length * Math.min(1, repetitionFactor(secret));
}

/** A secret made of one chunk repeated holds only the chunk's entropy. */
function repetitionFactor(secret: string): number {
  for (let period = 1; period <= secret.length / 2; period++) {
    if (secret.length % period !== 0) continue;
    if (secret.slice(0, period).repeat(secret.length / period) === secret) return period / secret.length;
  }
  return 1;
}

/**
 * How many pseudonyms each key keeps, most recently used first. A marketing
 * batch of 100 customers hashes about 300 identifiers; a computed HMAC costs
 * about 10 µs, a kept one a map lookup (bench/README.md, issue 18).
 */
export const PSEUDONYM_CACHE_SIZE = 20_000;
/** Principals whose derived key (and its pseudonyms) are kept. */
const SCOPED_KEYS_KEPT = 256;

export class Pseudonyms {
  // Private fields: nothing that logs or inspects this object (the services, a config dump) can reach the cached values.
  readonly #key: Buffer;
  readonly #shared: Pseudonymize;
  readonly #scoped = new LRUCache<string, Pseudonymize>({ max: SCOPED_KEYS_KEPT });
  readonly #loginKey: Buffer;

  constructor(key: Buffer) {
    this.#key = key;
    this.#shared = cachedPseudonyms(key);
    this.#loginKey = derivedKey(key, 'c360/pseudonym/login');
  }

  /**
   * The pseudonym function for a request: shared, or under a key derived for
   * `subject` (a principal). Each key keeps its last PSEUDONYM_CACHE_SIZE
   * pseudonyms, in this process only: the cache belongs to the key it was
   * computed under (another key, or a key derived for another principal, has
   * its own), so a pseudonym can only ever be the HMAC of its value under
   * the request's key.
   */
  for(subject: string | undefined): Pseudonymize {
    if (subject === undefined) return this.#shared;
    let scoped = this.#scoped.get(subject);
    if (!scoped) {
      scoped = cachedPseudonyms(derivedKey(this.#key, `c360/pseudonym/principal/${subject}`));
      this.#scoped.set(subject, scoped);
    }
    return scoped;
  }

  /** A secret for another use of the same key (the suppression list's, src/erasure/suppression.ts): derivedKey, in hex. */
  derivedSecret(label: string): string {
    return derivedKey(this.#key, label).toString('hex');
  }

  /**
   * How a signed-in customer appears as a principal (`customer:<this>` in
   * audit records, logs and rate limits): keyed, so nobody without the secret
   * recomputes it from a guessed login, and under a key derived for this use
   * alone, so it equals no `hash` pseudonym a caller is shown. 22 base64url
   * characters (132 bits) of the HMAC.
   */
  login(type: string, normalizedValue: string): string {
    return createHmac('sha256', this.#loginKey).update(`${type}#${normalizedValue}`, 'utf8').digest('base64url').slice(0, 22);
  }
}

/**
 * A key for one use of the secret, so one secret serves several uses and no
 * two share a key: HKDF-SHA-256 of the secret (no salt, `label` as info, 32
 * bytes). Not an HMAC of the label under the secret: that is exactly the
 * `hash` pseudonym of the label's text, which any caller who can have a
 * value stored and read it back hashed would obtain.
 */
function derivedKey(secret: Buffer, label: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), label, 32));
}

/** HMAC-SHA-256 in hex under `key`, the last PSEUDONYM_CACHE_SIZE of them kept (the key is imported once, as a KeyObject). */
function cachedPseudonyms(key: Buffer): Pseudonymize {
  const keyObject: KeyObject = createSecretKey(key);
  const kept = new LRUCache<string, string>({ max: PSEUDONYM_CACHE_SIZE });
  return (normalized) => {
    let pseudonym = kept.get(normalized);
    if (pseudonym === undefined) {
      pseudonym = createHmac('sha256', keyObject).update(normalized, 'utf8').digest('hex');
      kept.set(normalized, pseudonym);
    }
    return pseudonym;
  };
}

export interface PseudonymKeySource {
  /** C360_PSEUDONYM_KEY, already checked by the configuration. */
  readonly configured: string | undefined;
  /** Demo mode may make up a key; otherwise config refuses to start without one. */
  readonly demo: boolean;
  /** The embedded data dir, or undefined for C360_DATA_DIR=memory. */
  readonly dataDir: string | undefined;
}

export const DEMO_KEY_FILE = 'pseudonym.key';

/**
 * The secret: the configured one; in demo mode without one, a random key
 * kept in the data dir (so pseudonyms stay stable across restarts of the same
 * demo) or, for C360_DATA_DIR=memory, a random key for this process only.
 */
export function pseudonymKey(source: PseudonymKeySource): Buffer {
  if (source.configured !== undefined) return Buffer.from(source.configured, 'utf8');
  if (!source.demo) throw new Error('C360_PSEUDONYM_KEY is required outside demo mode.');
  if (source.dataDir === undefined) return randomBytes(32);
  const file = join(source.dataDir, DEMO_KEY_FILE);
  try {
    const stored = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(stored)) return Buffer.from(stored, 'hex');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32);
  mkdirSync(source.dataDir, { recursive: true });
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600 });
  return key;
}
