/**
 * The CRM: contact records, account managers and support cases, keyed by the
 * gateway's canonical customer id (`customerRef`). Production adapter:
 * MongoDB (mongodb.ts); embedded default: an in-process store (embedded.ts).
 *
 * Batch contract (DataLoader's): `getMany` given N customer refs resolves to N
 * results in the same order, `null` where the CRM has no contact and an
 * `Error` for a record that failed on its own (a malformed document). A
 * failure of the whole call rejects.
 */
import type { CallOptions } from '../resilience/callOptions.js';
import type { EraseOutcome } from '../shared/erasure.js';

export interface SupportCaseRecord {
  readonly id: string;
  readonly subject: string;
  /** open | pending | closed */
  readonly status: string;
  readonly openedAt: string;
}

export interface CrmContactRecord {
  readonly crmId: string;
  readonly customerRef: string;
  readonly accountManager?: string | null;
  readonly firstName?: string | null;
  readonly lastName?: string | null;
  readonly email?: string | null;
  readonly phone?: string | null;
  readonly cases: readonly SupportCaseRecord[];
}

export interface CrmPort {
  getMany(customerRefs: readonly string[], options?: CallOptions): Promise<ReadonlyArray<CrmContactRecord | null | Error>>;
  /** Deletes the contacts (and their cases) of these refs: a customer's canonical id and the ids it absorbed. */
  erase(customerRefs: readonly string[], options?: CallOptions): Promise<EraseOutcome>;
  health(options?: CallOptions): Promise<void>;
  close(): Promise<void>;
}
