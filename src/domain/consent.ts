/** Consent decisions as they happened (a customer's current consents are on CustomerRecord). */
import type { ConsentStatus, Purpose } from './vocabulary.js';

/** One consent decision as it happened, kept newest first per customer. */
export interface ConsentChangeRecord {
  readonly customerId: string;
  readonly id: string;
  readonly purpose: Purpose;
  readonly status: ConsentStatus;
  readonly channel?: string | null;
  readonly source: string;
  readonly at: string;
  readonly note?: string | null;
  /** The customer id the decision was given to; copies made by a merge keep it. Absent: the customer whose history holds it. */
  readonly origin?: string | null;
  /** Who made the change (`key:<keyId>`, `agent:<sub>`), and the trace id of its request; absent on changes recorded before they were kept. */
  readonly principal?: string | null;
  readonly traceId?: string | null;
}
