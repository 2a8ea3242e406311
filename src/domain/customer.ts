/** The canonical customer as the single view keeps it: profile, identifiers, consents, memberships, traits and merge state. */
import type { ConsentStatus, IdentityType, MergeState, Purpose } from './vocabulary.js';

/** An identifier after normalization (see connectors/resolution/normalize.ts). */
export interface IdentityKey {
  readonly type: IdentityType;
  readonly value: string;
}

export interface IdentityRecord extends IdentityKey {
  readonly source: string;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  /**
   * The person proved it: an identify call by a principal with the
   * identity:verify scope said so, an operator imported it (npm run
   * identities:import without --unverified), or a customer token named it
   * as its verified login. Once verified, it stays verified.
   */
  readonly verified?: boolean;
}

export interface AddressRecord {
  readonly line1?: string | null;
  readonly city?: string | null;
  readonly postalCode?: string | null;
  readonly country?: string | null;
}

export interface ProfileRecord {
  readonly firstName?: string | null;
  readonly lastName?: string | null;
  readonly email?: string | null;
  readonly phone?: string | null;
  readonly birthDate?: string | null;
  readonly address?: AddressRecord | null;
}

export interface ConsentRecord {
  readonly purpose: Purpose;
  readonly status: ConsentStatus;
  readonly channel?: string | null;
  readonly updatedAt: string;
  readonly source: string;
  /** The customer id the decision was given to (an id a merge later absorbed, or the customer itself), so an unmerge knows whose it is. */
  readonly origin?: string | null;
}

export interface SegmentMembershipRecord {
  readonly segmentId: string;
  readonly since: string;
}

export interface TraitsRecord {
  readonly lifetimeValue?: number | null;
  readonly orderCount: number;
  readonly firstSeenAt?: string | null;
  readonly lastSeenAt?: string | null;
}

/**
 * What the events that arrived through one identifier added to a customer,
 * kept per identifier so that an unmerge can give each side exactly its own
 * facts. Keyed by identity index key (`TYPE#value`), or `@<customerId>` for
 * events a customer held before identifiers were recorded per event.
 */
export interface ViaFactsRecord {
  readonly orderCount: number;
  readonly lifetimeValue?: number | null;
  readonly firstSeenAt?: string | null;
  readonly lastSeenAt?: string | null;
  readonly lastEventAt: Readonly<Record<string, string>>;
}

/**
 * An unmerge in progress (docs/identity-resolution.md), on both customers it
 * concerns: identifiers `keys` and what arrived through them leave `from` for
 * the new customer `into`. Everything needed to finish it is here, so any
 * writer that finds it stale rolls it forward.
 */
export interface SplitMarker {
  readonly from: string;
  readonly into: string;
  /** Identity index keys (`TYPE#value`) that move. */
  readonly keys: readonly string[];
  /** Absorbed customer ids whose identifiers all move: their consents, profile and legacy events go too. */
  readonly origins: readonly string[];
  readonly startedAt: string;
  /** The operator's reason, as given; copied into both identity logs, never logged. */
  readonly note?: string | null;
  readonly principal?: string | null;
  readonly traceId?: string | null;
}

export interface CustomerRecord {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly profile: ProfileRecord;
  readonly identities: readonly IdentityRecord[];
  readonly consents: readonly ConsentRecord[];
  readonly segments: readonly SegmentMembershipRecord[];
  readonly traits: TraitsRecord;
  /** Set when this customer was absorbed by a merge: the survivor's id. */
  readonly mergedInto?: string | null;
  /** Ids this customer absorbed, so other sources keyed by them still answer. */
  readonly aliases?: readonly string[];
  /**
   * Where the merge that absorbs this customer stands (docs/identity-resolution.md):
   * `pending` froze it, `done` pointed its identity index entries at the
   * survivor once the survivor held its data (its history stays under its
   * own id: merges are by pointer); `committed` (the survivor holds it, the
   * index not yet moved) is written by merges made before that and by a
   * writer that rolls a stale merge forward. Null when it was never absorbed.
   */
  readonly mergeState?: MergeState | null;
  readonly mergeStartedAt?: string | null;
  /** Latest `occurredAt` per event type: what real-time segment rules read. */
  readonly lastEventAt?: Readonly<Record<string, string>>;
  /** Traits and latest event times per identifier the events arrived through; their sum is `traits` and `lastEventAt`. */
  readonly viaFacts?: Readonly<Record<string, ViaFactsRecord>>;
  /** Set while an unmerge of this customer (either side) is in progress. */
  readonly split?: SplitMarker | null;
  /** For a customer an unmerge created: the customer it was split from. */
  readonly splitFrom?: string | null;
  /** For a customer an unmerge created: the absorbed ids that came with it (its first `aliases`), whose history it reads as its own. */
  readonly splitOrigins?: readonly string[];
  /** Optimistic concurrency: a write names the version it read and stores version + 1. */
  readonly version?: number;
  /** Random id of the write that stored this version, so a writer whose call timed out can tell whether it landed. */
  readonly writeToken?: string | null;
  /**
   * What the segment index was last asked to hold for this customer
   * (src/segments/changeFeed.ts): a key of its memberships and its due time.
   * A write whose memberships differ, or whose due time is earlier, announces
   * itself to the index; absent means the index holds nothing yet.
   */
  readonly segmentIndex?: SegmentIndexMark | null;
  /**
   * Revision of the customer's activity (what a `track` changes: traits,
   * latest event times, per-identifier facts, last sightings, real-time
   * segments, the segment index mark), kept apart from `version`: a `track`
   * updates the activity alone (connectors/singleview/customerActivity.ts)
   * under this revision, and a write of the whole customer names the
   * revision it read, so neither overwrites the other. Absent for a customer
   * whose activity has never been kept apart (written before it was).
   */
  readonly activityRevision?: number;
}

export interface SegmentIndexMark {
  readonly key: string;
  readonly dueAt?: string | null;
}


/** Just enough of a customer to follow merges. */
export interface MergeLink {
  readonly id: string;
  readonly mergedInto?: string | null;
  readonly mergeState?: MergeState | null;
}


export interface CustomerScanPage {
  readonly customers: readonly CustomerRecord[];
  /** Opaque position for the next page; undefined at the end. */
  readonly next?: string | undefined;
}
