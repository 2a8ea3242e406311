import { createHmac } from 'node:crypto';
import type { Span } from '@opentelemetry/api';
import type { IdentityKey, SuppressionRecord } from '../domain/index.js';
import type { ErasurePort } from '../../connectors/singleview/port.js';

import type { Pseudonyms } from '../privacy/pseudonym.js';
import { identityIndexKey } from '../domain/index.js';

/**
 * What the suppression list keeps of an erased identifier: HMAC-SHA-256 of
 * its normalized form (`TYPE#value`) under a secret key, never the value.
 * Without the key a hash cannot be tested against a guessed email or phone.
 */
export function suppressionHash(secret: string, identity: IdentityKey): string {
  return createHmac('sha256', secret).update(identityIndexKey(identity)).digest('hex');
}

/** The label the suppression key is derived under from C360_PSEUDONYM_KEY (docs/erasure.md, "The key"). */
export const SUPPRESSION_KEY_LABEL = 'c360/suppression';

/**
 * The suppression list's key: C360_SUPPRESSION_KEY when it is set, else a
 * key derived for this purpose alone from the pseudonym key, so one secret
 * serves both and demo mode uses its random per-data-dir key. The derived
 * key is HKDF-SHA-256 of the pseudonym key with SUPPRESSION_KEY_LABEL as
 * info, in hex: an operator who rotates C360_PSEUDONYM_KEY computes it from
 * the old key with `openssl kdf` (docs/erasure.md, "Rotating the keys") and
 * sets it as C360_SUPPRESSION_KEY, so the list survives the rotation.
 */
export function suppressionSecret(configured: string | undefined, pseudonyms: Pick<Pseudonyms, 'derivedSecret'>): string {
  return configured ?? pseudonyms.derivedSecret(SUPPRESSION_KEY_LABEL);
}

/**
 * Who may read the list: a fingerprint of its key that tells keys apart and
 * nothing else (an HMAC under the key of a fixed label, 16 hex digits).
 */
export function suppressionKeyFingerprint(secret: string): string {
  return createHmac('sha256', secret).update('c360/suppression/fingerprint').digest('hex').slice(0, 16);
}

/**
 * The suppression list was written under another key than this gateway's:
 * every lookup would miss, so every erased person's identifiers would be
 * accepted again. The gateway refuses to start (and writes that need the
 * list refuse to run) rather than lift every suppression in silence.
 */
export class SuppressionKeyMismatchError extends Error {
  override readonly name = 'SuppressionKeyMismatchError';

  constructor() {
    super(
      'The suppression list in the single view was written under another key than this gateway has ' +
        '(C360_SUPPRESSION_KEY, or when it is not set the key derived from C360_PSEUDONYM_KEY): with this key every ' +
        "erased person's identifiers would be accepted again. Set C360_SUPPRESSION_KEY to the key the list was written " +
        'under; after a rotation of C360_PSEUDONYM_KEY that is the key derived from the old one (docs/erasure.md, "Rotating the keys").',
    );
  }
}

/** An identifier of a write is on the suppression list; `index` is its position among the write's identifiers. */
export class SuppressedIdentifierError extends Error {
  override readonly name = 'SuppressedIdentifierError';

  constructor(readonly index: number) {
    super('an identifier of the write is suppressed');
  }
}

/**
 * The suppression list (docs/erasure.md): erasure puts every identifier of
 * the erased person on it, `identify` and `track` refuse those identifiers
 * (nothing stored, no new customer) and an operator can lift one. Stored in
 * the single view, through its guarded port.
 */
export class SuppressionList {
  private keyVerified: Promise<void> | undefined;

  constructor(
    /** Guarded (src/sources.ts): deadline, breaker and span on every call; reads and puts retried. */
    private readonly singleView: ErasurePort,
    private readonly secret: string,
  ) {}

  hash(identity: IdentityKey): string {
    return suppressionHash(this.secret, identity);
  }

  /**
   * Resolves once the list is known to be written under this key: the first
   * call records the key's fingerprint beside the entries if none is there;
   * a list written under another key rejects with
   * SuppressionKeyMismatchError, for good. The gateway calls it at start;
   * every use of the list awaits it, so a start without the single view
   * checks before the first write. A failed read is tried again next time.
   */
  verifyKey(span?: Span): Promise<void> {
    this.keyVerified ??= this.claimKey(span).catch((error: unknown) => {
      if (!(error instanceof SuppressionKeyMismatchError)) this.keyVerified = undefined;
      throw error;
    });
    return this.keyVerified;
  }

  private async claimKey(span?: Span): Promise<void> {
    const fingerprint = suppressionKeyFingerprint(this.secret);
      const stored = await this.singleView.claimSuppressionKeyFingerprint(fingerprint, { parentSpan: span });
    if (stored !== fingerprint) throw new SuppressionKeyMismatchError();
  }

  /** Throws SuppressedIdentifierError naming the first of `identities` on the list. */
  async refuseSuppressed(identities: ReadonlyArray<{ readonly key: IdentityKey; readonly index: number }>, span?: Span): Promise<void> {
    if (identities.length === 0) return;
    await this.verifyKey(span);
    const hashes = identities.map(({ key }) => this.hash(key));
    const found = await this.singleView.getSuppressions(hashes, { parentSpan: span });
    const failed = found.find((entry): entry is Error => entry instanceof Error);
    if (failed) throw failed;
    const position = found.findIndex((entry) => entry !== null);
    if (position !== -1) throw new SuppressedIdentifierError(identities[position]!.index);
  }

  /** Puts the identifiers on the list for the erased customer `customerId`. */
  async suppress(identities: readonly IdentityKey[], customerId: string, at: string, span?: Span): Promise<number> {
    const records = [...new Map(identities.map((key) => [this.hash(key), key])).entries()].map(
      ([hash, key]): SuppressionRecord => ({ hash, identityType: key.type, customerId, suppressedAt: at }),
    );
    if (records.length === 0) return 0;
    await this.verifyKey(span);
    await this.singleView.putSuppressions(records, { parentSpan: span });
    return records.length;
  }

  /** The identifier's entry on the list, or null when it is not suppressed. */
  async entry(identity: IdentityKey, span?: Span): Promise<SuppressionRecord | null> {
    await this.verifyKey(span);
    const [found] = await this.singleView.getSuppressions([this.hash(identity)], { parentSpan: span });
    if (found instanceof Error) throw found;
    return found ?? null;
  }

  /** Takes the identifier off the list; the entry that was there, or null when it was not suppressed. */
  async lift(identity: IdentityKey, span?: Span): Promise<SuppressionRecord | null> {
    await this.verifyKey(span);
    return this.singleView.deleteSuppression(this.hash(identity), { parentSpan: span });
  }
}
