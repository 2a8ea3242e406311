import type { Purpose } from '../../connectors/singleview/port.js';

/** Who is calling: resolved once per request by the authenticator, read-only after. */
export interface Principal {
  readonly kind: 'apiKey' | 'customer' | 'agent';
  /** Stable id for audit and rate limits: a key id or a token subject. Never a secret. */
  readonly id: string;
  readonly name: string;
  readonly scopes: ReadonlySet<string>;
  readonly purposes: ReadonlySet<Purpose>;
  /** For a customer token: the canonical id of the signed-in customer. */
  readonly customerId?: string;
  readonly rateLimitPerMinute?: number | null | undefined;
  readonly trustedDocumentsOnly: boolean;
}
