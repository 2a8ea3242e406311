/**
 * The CRM: contact records, account managers and support cases, keyed by the
 * CRM's own contact id. The gateway finds a customer's contacts through the
 * customer's `CRM_ID` identities in the identity graph, so the CRM never has
 * to know a c360 id. Production adapter: MongoDB over the CRM's own
 * collection through a field mapping (mongodb.ts); embedded default: an
 * in-process store (embedded.ts).
 *
 * Batch contract (DataLoader's): `getMany` given N CRM ids resolves to N
 * results in the same order, `null` where the CRM has no such contact and an
 * `Error` for a record that failed on its own (a malformed document). A
 * failure of the whole call rejects.
 */
import type { CallOptions } from '../resilience/callOptions.js';
import type { GuardPlan } from '../resilience/guardedPort.js';
import type { EraseOutcome } from '../shared/erasure.js';

export interface SupportCaseRecord {
  readonly id: string;
  readonly subject: string;
  /** The CRM's own status text, e.g. open, pending, closed. */
  readonly status: string;
  /** Whether the CRM counts the case as closed (for MongoDB: its status is one of C360_CRM_CLOSED_STATUSES). */
  readonly closed: boolean;
  readonly openedAt: string;
}

export interface CrmContactRecord {
  /** The CRM's id of the contact: the value of a `CRM_ID` identity. */
  readonly crmId: string;
  readonly accountManager?: string | null;
  readonly firstName?: string | null;
  readonly lastName?: string | null;
  readonly email?: string | null;
  readonly phone?: string | null;
  /** Oldest first. */
  readonly cases: readonly SupportCaseRecord[];
}

export interface CrmPort {
  getMany(crmIds: readonly string[], options?: CallOptions): Promise<ReadonlyArray<CrmContactRecord | null | Error>>;
  /** Deletes these contacts (and their cases): a customer's `CRM_ID` identities. */
  erase(crmIds: readonly string[], options?: CallOptions): Promise<EraseOutcome>;
  health(options?: CallOptions): Promise<void>;
  close(): Promise<void>;
}

/** How each method runs under the crm source's guard (connectors/resilience/guardedPort.ts); erasing is idempotent, so it is retried like a read. */
export const CRM_CALLS: GuardPlan<CrmPort> = {
  getMany: { kind: 'read', options: 1, batch: 0 },
  erase: { kind: 'idempotent', options: 1, batch: 0 },
  health: 'unguarded',
  close: 'unguarded',
};
