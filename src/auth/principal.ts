import type { IdentityKey, Purpose } from '../domain/index.js';

/** Who is calling: resolved once per request by the authenticator, read-only after. */
export interface Principal {
  readonly kind: 'apiKey' | 'customer' | 'agent';
  /** Stable id for audit and rate limits: a key id or a token subject. Never a secret. */
  readonly id: string;
  readonly name: string;
  readonly scopes: ReadonlySet<string>;
  readonly purposes: ReadonlySet<Purpose>;
  /**
   * For a customer token: the login the identity provider verified (a
   * USER_ID by default). The signed-in customer is whoever holds it.
   */
  readonly login?: IdentityKey;
  readonly rateLimitPerMinute?: number | null | undefined;
  readonly trustedDocumentsOnly: boolean;
  /**
   * Set when the key or token asks for pseudonyms of its own
   * (`pseudonymScope: principal`): hashes are keyed for this subject, so they
   * match nobody else's. Absent: the gateway's shared pseudonyms.
   */
  readonly pseudonymSubject?: string;
}
