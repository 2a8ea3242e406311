/**
 * The loyalty system: membership, tier and points, keyed by the gateway's
 * canonical customer id (`customerRef`). Production adapter: HTTP/JSON
 * (http.ts, contract in docs/loyalty-api.md); embedded default: an
 * in-process store (embedded.ts).
 *
 * Batch contract (DataLoader's): `getMany` given N customer refs resolves to N
 * results in the same order, `null` for a customer who is not a member and an
 * `Error` for a member record that failed on its own. A failure of the whole
 * call rejects.
 */
import type { CallOptions } from '../resilience/callOptions.js';
import type { EraseOutcome } from '../shared/erasure.js';

export interface LoyaltyAccountRecord {
  readonly memberId: string;
  readonly customerRef: string;
  readonly tier: string;
  readonly pointsBalance: number;
  readonly lifetimePoints: number;
  readonly tierExpiresAt?: string | null;
}

export interface LoyaltyPort {
  getMany(customerRefs: readonly string[], options?: CallOptions): Promise<ReadonlyArray<LoyaltyAccountRecord | null | Error>>;
  /** Deletes the memberships of these refs: a customer's canonical id and the ids it absorbed. */
  erase(customerRefs: readonly string[], options?: CallOptions): Promise<EraseOutcome>;
  health(options?: CallOptions): Promise<void>;
  close(): Promise<void>;
}
