/** Erasure jobs and the suppression list of erased identifiers. */
import type { ErasureStatus, IdentityType } from './vocabulary.js';

export interface ErasureSourceRecord {
  readonly status: ErasureStatus;
  readonly detail?: string | null;
  readonly at: string;
  /** What the background worker has deleted of the source so far (counts only); absent when the request erased it whole. */
  readonly progress?: ErasureProgressRecord | null;
}

export interface ErasureProgressRecord {
  readonly itemsDeleted: number;
  readonly customerIdsDone: number;
  readonly customerIdsTotal: number;
  readonly updatedAt: string;
  readonly completedAt?: string | null;
}

/** One erasure request and where each source stands; a repeated request resumes from it. Holds ids, never personal values. */
export interface ErasureJobRecord {
  /** The id this copy of the job is filed under: one copy per id in `customerIds`, so any of them finds it. */
  readonly customerId: string;
  /** The customer being erased. */
  readonly canonicalId: string;
  readonly requestedAt: string;
  readonly updatedAt: string;
  /** The canonical id and every id it absorbed. */
  readonly customerIds: readonly string[];
  readonly sources: Readonly<Record<string, ErasureSourceRecord>>;
  readonly completedAt?: string | null;
}

/**
 * An erased identifier on the suppression list (docs/erasure.md): only its
 * keyed hash is kept, never the value. `identify` and `track` refuse an
 * identifier on the list until an operator lifts it.
 */
export interface SuppressionRecord {
  /** HMAC-SHA-256 (hex) of the identity index key (`TYPE#value`) under the gateway's suppression key. */
  readonly hash: string;
  readonly identityType: IdentityType;
  /** The erased customer whose identifier it was (the erasure job's canonical id). */
  readonly customerId: string;
  readonly suppressedAt: string;
}
