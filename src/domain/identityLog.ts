/** The identity graph's change log: links, merges, refusals and unmerges. */
import type { SegmentMembershipRecord } from './customer.js';
import type { IdentityLogKind } from './vocabulary.js';

/** What a merge changed on the survivor, so an unmerge can restore it; names and times, no personal values. */
export interface MergeUndoRecord {
  /** The survivor's createdAt before the merge. */
  readonly createdAt: string;
  /** The survivor's segment memberships before the merge. */
  readonly segments: readonly SegmentMembershipRecord[];
  /** Profile fields the absorbed customer filled because the survivor had none. */
  readonly filledFields: readonly string[];
}

/**
 * The append-only change log of the identity graph: every link, merge and
 * refused link, under the customer it concerns. Identifiers appear as index
 * keys (`TYPE#value`), so an erasure deletes a customer's log with its data.
 */
export interface IdentityLogEntry {
  readonly customerId: string;
  readonly id: string;
  readonly at: string;
  readonly kind: IdentityLogKind;
  /** Which rule decided: e.g. `exact-match`, `new-identifier`, `priority:EMAIL`, `limit:USER_ID`. */
  readonly rule: string;
  readonly identityKeys: readonly string[];
  /** For merges: the absorbed customer (on the survivor's entry); for unmerges: the other side. */
  readonly otherCustomerId?: string | null;
  readonly principal?: string | null;
  readonly traceId?: string | null;
  /** link, merge: the identifier of the call the customer already held, which the others were joined to. */
  readonly anchorKey?: string | null;
  /** merge: the identifier of the call the absorbed customer held. */
  readonly otherKey?: string | null;
  /** merge: what an unmerge needs to restore the survivor. */
  readonly undo?: MergeUndoRecord | null;
  /** unmerge: the operator's reason, as given. */
  readonly note?: string | null;
}
