/** A partner's API key as stored: a hash of its secret, its scopes, purposes and limits. */
import type { Purpose } from './vocabulary.js';

export interface ApiKeyRecord {
  /** Public part of the key; the lookup key. */
  readonly keyId: string;
  /** SHA-256 hex of the secret part. The secret itself is never stored. */
  readonly secretHash: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  readonly purposes: readonly Purpose[];
  readonly createdAt: string;
  readonly expiresAt?: string | null;
  readonly revoked: boolean;
  /** Requests per minute; the gateway default applies when absent. */
  readonly rateLimitPerMinute?: number | null;
  /** Only documents from the trusted-documents manifest are accepted. */
  readonly trustedDocumentsOnly?: boolean;
  /** Demo keys exist only in embedded demo mode. */
  readonly demo?: boolean;
  /** Set by `keys rotate`: the key id that replaced this one. */
  readonly replacedBy?: string | null;
  /** `principal`: hashed values are pseudonyms of this key's own, that match no other key's (docs/privacy.md). Absent: shared. */
  readonly pseudonymScope?: 'shared' | 'principal' | null;
  /** For principal-scoped pseudonyms: whose they are, the first key id of the line (a rotation keeps it, so pseudonyms survive it). */
  readonly pseudonymSubject?: string | null;
}
