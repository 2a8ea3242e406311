import { createHmac } from 'node:crypto';
import type { Span } from '@opentelemetry/api';
import type { SourceGuard } from '../../connectors/resilience/sourceGuard.js';
import type { IdentityKey, SingleViewPort, SuppressionRecord } from '../../connectors/singleview/port.js';
import { identityIndexKey } from '../../connectors/singleview/keys.js';
import { GuardedStore } from '../identity/store.js';

/**
 * What the suppression list keeps of an erased identifier: HMAC-SHA-256 of
 * its normalized form (`TYPE#value`) under a secret key, never the value.
 * Without the key a hash cannot be tested against a guessed email or phone.
 */
export function suppressionHash(secret: string, identity: IdentityKey): string {
  return createHmac('sha256', secret).update(identityIndexKey(identity)).digest('hex');
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
 * the single view, through its guard.
 */
export class SuppressionList {
  constructor(
    private readonly singleView: SingleViewPort,
    private readonly guard: SourceGuard,
    private readonly secret: string,
  ) {}

  hash(identity: IdentityKey): string {
    return suppressionHash(this.secret, identity);
  }

  /** Throws SuppressedIdentifierError naming the first of `identities` on the list. */
  async refuseSuppressed(identities: ReadonlyArray<{ readonly key: IdentityKey; readonly index: number }>, span?: Span): Promise<void> {
    if (identities.length === 0) return;
    const hashes = identities.map(({ key }) => this.hash(key));
    const store = new GuardedStore(this.singleView, this.guard, span);
    const found = await store.read('getSuppressions', (o) => this.singleView.getSuppressions(hashes, o), hashes.length);
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
    const store = new GuardedStore(this.singleView, this.guard, span);
    // A put of the same hash is the same entry: safe to retry like a read.
    await store.read('putSuppressions', (o) => this.singleView.putSuppressions(records, o), records.length);
    return records.length;
  }

  /** Takes the identifier off the list; the entry that was there, or null when it was not suppressed. */
  async lift(identity: IdentityKey, span?: Span): Promise<SuppressionRecord | null> {
    const store = new GuardedStore(this.singleView, this.guard, span);
    return store.write('deleteSuppression', (o) => this.singleView.deleteSuppression(this.hash(identity), o));
  }
}
