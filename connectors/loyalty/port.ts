/**
 * The loyalty system: membership, tier and points, keyed by the loyalty
 * system's own member id. The gateway finds a customer's memberships through
 * the customer's `LOYALTY_ID` identities in the identity graph, so the
 * loyalty system never has to know a c360 id. Production adapter: HTTP/JSON
 * (http.ts, contract in docs/loyalty-api.md); embedded default: an
 * in-process store (embedded.ts).
 *
 * Batch contract (DataLoader's): `getMany` given N member ids resolves to N
 * results in the same order, `null` for an id that is no member and an
 * `Error` for a member record that failed on its own. A failure of the whole
 * call rejects.
 */
import type { CallOptions } from '../resilience/callOptions.js';
import type { GuardPlan } from '../resilience/guardedPort.js';
import type { EraseOutcome } from '../shared/erasure.js';

export interface LoyaltyAccountRecord {
  /** The loyalty system's id of the member: the value of a `LOYALTY_ID` identity. */
  readonly memberId: string;
  readonly tier: string;
  readonly pointsBalance: number;
  readonly lifetimePoints: number;
  readonly tierExpiresAt?: string | null;
}

export interface LoyaltyPort {
  getMany(memberIds: readonly string[], options?: CallOptions): Promise<ReadonlyArray<LoyaltyAccountRecord | null | Error>>;
  /** Deletes these memberships: a customer's `LOYALTY_ID` identities. */
  erase(memberIds: readonly string[], options?: CallOptions): Promise<EraseOutcome>;
  health(options?: CallOptions): Promise<void>;
  close(): Promise<void>;
}

/** How each method runs under the loyalty source's guard (connectors/resilience/guardedPort.ts); erasing is idempotent, so it is retried like a read. */
export const LOYALTY_CALLS: GuardPlan<LoyaltyPort> = {
  getMany: { kind: 'read', options: 1, batch: 0 },
  erase: { kind: 'idempotent', options: 1, batch: 0 },
  health: 'unguarded',
  close: 'unguarded',
};
