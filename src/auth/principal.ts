import type { IdentityKey, Purpose } from '../../connectors/singleview/port.js';

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
}
