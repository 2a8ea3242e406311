/**
 * The single view: the system of record for the canonical customer, its
 * identities, consents, segment memberships and events, the audit trail and
 * API keys. The production adapter is DynamoDB (dynamodb.ts); the embedded
 * default is the same adapter pointed at an in-process dynalite.
 *
 * Batch contract (DataLoader's): a batch method given N keys resolves to N
 * results in the same order, `null` for a key that matches nothing and an
 * `Error` instance for a key that failed on its own. A failure of the whole
 * call rejects the promise.
 */
import type { CallOptions } from '../resilience/callOptions.js';

export type IdentityType =
  | 'ANONYMOUS_ID'
  | 'USER_ID'
  | 'EMAIL'
  | 'PHONE'
  | 'DEVICE_ID'
  | 'CRM_ID'
  | 'LOYALTY_ID';

export type Purpose = 'SUPPORT' | 'MARKETING' | 'ANALYTICS' | 'PERSONALIZATION' | 'FRAUD' | 'SELF_SERVICE';

export type ConsentStatus = 'GRANTED' | 'DENIED';

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
   * `pending` froze it, `committed` put its data into the survivor, `done`
   * moved its events and identity links. Null when it was never absorbed.
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
  /** Optimistic concurrency: a write names the version it read and stores version + 1. */
  readonly version?: number;
  /** Random id of the write that stored this version, so a writer whose call timed out can tell whether it landed. */
  readonly writeToken?: string | null;
}

export type MergeState = 'pending' | 'committed' | 'done';

export interface EventRecord {
  readonly id: string;
  readonly customerId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly receivedAt: string;
  readonly channel?: string | null;
  readonly source: string;
  readonly properties?: Record<string, unknown> | null;
  /**
   * The identifier the event arrived through (identity index key), or
   * `@<customerId>` for an event that predates this field, set when a merge
   * moves it. Identifies a person: never logged, never returned.
   */
  readonly via?: string | null;
}

/** Position in a customer's timeline; opaque to clients (see src/cursor.ts). */
export interface EventPosition {
  readonly occurredAt: string;
  readonly id: string;
}

/** Timelines read oldest first unless a page asks for the newest first. */
export type EventOrder = 'OLDEST_FIRST' | 'NEWEST_FIRST';

export interface EventQuery {
  readonly first: number;
  /** Default OLDEST_FIRST; `after` continues in the same order. */
  readonly order?: EventOrder | undefined;
  readonly after?: EventPosition | undefined;
  readonly types?: readonly string[] | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
}

export interface EventPage {
  readonly events: readonly EventRecord[];
  readonly hasNextPage: boolean;
}

export interface FieldDecisionRecord {
  readonly path: string;
  readonly piiClass: string;
  readonly decision: string;
  readonly reason?: string | null;
  /** Whose field it was; each customer's trail keeps only that customer's fields. */
  readonly customerId?: string | null;
}

export interface AuditRecordModel {
  readonly id: string;
  readonly at: string;
  readonly principal: string;
  readonly purpose?: Purpose | null;
  readonly operation: string;
  readonly customerIds: readonly string[];
  readonly fields: readonly FieldDecisionRecord[];
  readonly traceId?: string | null;
  /** Counts and types about a write (e.g. an unmerge), never personal values. */
  readonly detail?: Readonly<Record<string, string | number>> | null;
}

export interface AuditPosition {
  readonly at: string;
  readonly id: string;
}

export interface AuditPage {
  readonly records: readonly AuditRecordModel[];
  readonly hasNextPage: boolean;
}

export interface ApiKeyRecord {
  /** Public part of the key; the lookup key. */
  readonly keyId: string;
  /** SHA-256 hex of the secret part. The secret itself is never stored. */
  readonly secretHash: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  readonly purposes: readonly Purpose[];
  readonly createdAt: string;
  readonly expiresAt?: string | null;
  readonly revoked: boolean;
  /** Requests per minute; the gateway default applies when absent. */
  readonly rateLimitPerMinute?: number | null;
  /** Only documents from the trusted-documents manifest are accepted. */
  readonly trustedDocumentsOnly?: boolean;
  /** Demo keys exist only in embedded demo mode. */
  readonly demo?: boolean;
  /** Set by `keys rotate`: the key id that replaced this one. */
  readonly replacedBy?: string | null;
  /** `principal`: hashed values are pseudonyms of this key's own, that match no other key's (docs/privacy.md). Absent: shared. */
  readonly pseudonymScope?: 'shared' | 'principal' | null;
  /** For principal-scoped pseudonyms: whose they are, the first key id of the line (a rotation keeps it, so pseudonyms survive it). */
  readonly pseudonymSubject?: string | null;
}

/** Just enough of a customer to follow merges. */
export interface MergeLink {
  readonly id: string;
  readonly mergedInto?: string | null;
  readonly mergeState?: MergeState | null;
}

/** A conditional write either lands or finds the item changed (or present) since it was read. */
export type WriteOutcome = 'written' | 'conflict';

export type IdentityClaim = { readonly status: 'claimed' } | { readonly status: 'held'; readonly customerId: string };

/** `track` idempotency: the first caller of a key claims it for its event. */
export interface IdempotencyRecord {
  /** `<principal>#<idempotencyKey>`. */
  readonly key: string;
  readonly eventId: string;
  readonly customerId: string;
  readonly occurredAt: string;
  readonly claimedAt: string;
  /** Epoch seconds after which the key may be forgotten (DynamoDB TTL attribute). */
  readonly expiresAt: number;
  /** SHA-256 of the call as sent, so a key reused for another event is told apart from a retry. Absent on keys claimed before it was kept. */
  readonly payloadHash?: string;
}

export type IdempotencyClaim = { readonly status: 'claimed' } | { readonly status: 'exists'; readonly record: IdempotencyRecord };

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

export type IdentityLogKind = 'create' | 'link' | 'merge' | 'reject' | 'abort' | 'unmerge';

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

export type SuggestionStatus = 'OPEN' | 'ACCEPTED' | 'REJECTED';

/** Why two customers are suggested as one: identify refused to merge them unverified, or a matcher scored them. */
export type SuggestionOrigin = 'UNVERIFIED_MERGE' | 'MATCH';

/** One piece of evidence for a suggestion: which attribute, how it compared, and its weight when a model scored it. Never a value. */
export interface MatchEvidenceRecord {
  readonly attribute: string;
  readonly level: string;
  readonly weight?: number | null;
}

/**
 * A merge waiting for a person (docs/identity-resolution.md, "Merge
 * suggestions"): identify kept it pending (UNVERIFIED_MERGE), or a matcher
 * suggested it. One per pair of customers: its id is derived from the pair,
 * so the same pair suggested again finds the one there is, and a rejected
 * pair stays rejected. Holds ids, types and levels, never a personal value.
 */
export interface MergeSuggestionRecord {
  readonly id: string;
  /** The two customers as they were when suggested, sorted; a reader follows merges. */
  readonly customerIds: readonly string[];
  readonly status: SuggestionStatus;
  readonly origin: SuggestionOrigin;
  /** 1 for an exact match on an identifier that was not verified; a model's probability for MATCH. */
  readonly probability: number;
  readonly evidence: readonly MatchEvidenceRecord[];
  /** MATCH: the name of the model that scored the pair (config/match-model.json `name`), for the merge's rule. */
  readonly model?: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The principal and trace of the request that made the suggestion. */
  readonly principal?: string | null;
  readonly traceId?: string | null;
  /** Who accepted or rejected it, when, and (a rejection) why, as given. */
  readonly decidedBy?: string | null;
  readonly decidedAt?: string | null;
  readonly reason?: string | null;
}

/** Where a page of suggestions starts: after this one, newest first. */
export interface SuggestionPosition {
  readonly createdAt: string;
  readonly id: string;
}

export interface SuggestionPage {
  readonly suggestions: readonly MergeSuggestionRecord[];
  readonly hasNextPage: boolean;
}

export type ErasureStatus = 'ERASED' | 'NOT_FOUND' | 'FAILED';

export interface ErasureSourceRecord {
  readonly status: ErasureStatus;
  readonly detail?: string | null;
  readonly at: string;
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

export interface CustomerScanPage {
  readonly customers: readonly CustomerRecord[];
  /** Opaque position for the next page; undefined at the end. */
  readonly next?: string | undefined;
}

/** Deletes go a page at a time, each within the source's deadline; the caller repeats while `more`. */
export interface PageDeletion {
  readonly deleted: number;
  readonly more: boolean;
}

export interface ReadOptions extends CallOptions {
  /** Strongly consistent read: writers read this way before a conditional write. */
  readonly consistent?: boolean;
}

export interface SingleViewPort {
  /** Customers by id, merged or not (the caller follows `mergedInto`). */
  getCustomers(ids: readonly string[], options?: ReadOptions): Promise<ReadonlyArray<CustomerRecord | null | Error>>;
  /** Merge links by id: a projection of the customer item, for resolution. */
  getMergeLinks(ids: readonly string[], options?: CallOptions): Promise<ReadonlyArray<MergeLink | null | Error>>;
  /** Identity index: which customer holds each identifier. */
  customerIdsByIdentity(keys: readonly IdentityKey[], options?: ReadOptions): Promise<ReadonlyArray<string | null | Error>>;
  /** One page of a customer's timeline, oldest first or newest first as the query asks. */
  getEvents(customerId: string, query: EventQuery, options?: CallOptions): Promise<EventPage>;
  /** One page of a customer's audit trail, newest first. */
  getAuditTrail(customerId: string, first: number, after?: AuditPosition, options?: CallOptions): Promise<AuditPage>;
  appendAudit(record: AuditRecordModel, options?: CallOptions): Promise<void>;
  /**
   * Several audit records in one write (batch contract: one result per
   * record). Durable when it resolves; a failed write rejects as a whole.
   */
  appendAudits(records: readonly AuditRecordModel[], options?: CallOptions): Promise<Array<void | Error>>;
  getApiKey(keyId: string): Promise<ApiKeyRecord | null>;
  putApiKey(key: ApiKeyRecord): Promise<void>;
  listApiKeys(): Promise<readonly ApiKeyRecord[]>;
  /** Throws when the store cannot be reached. */
  health(options?: CallOptions): Promise<void>;
  close(): Promise<void>;

  // Writes. Conditional writes answer `conflict` instead of throwing, so an
  // expected race never counts as a source failure (circuit breaker).

  /** Creates a customer whose id is not taken. */
  createCustomer(record: CustomerRecord, options?: CallOptions): Promise<WriteOutcome>;
  /** Replaces a customer if its stored version is still `expectedVersion`; the record carries the next version. */
  replaceCustomer(record: CustomerRecord, expectedVersion: number, options?: CallOptions): Promise<WriteOutcome>;
  /** Deletes customer items; resolves to how many existed. */
  deleteCustomers(ids: readonly string[], options?: CallOptions): Promise<number>;
  /** Claims an identifier for a customer if no customer holds it. */
  claimIdentity(key: IdentityKey, customerId: string, options?: CallOptions): Promise<IdentityClaim>;
  /** Points an identifier at `toId` if it is still held by one of `fromIds`. */
  moveIdentity(key: IdentityKey, fromIds: readonly string[], toId: string, options?: CallOptions): Promise<WriteOutcome>;
  /** Removes an identifier from the index if `customerIds` still hold it. */
  releaseIdentity(key: IdentityKey, customerIds: readonly string[], options?: CallOptions): Promise<WriteOutcome>;
  /** Stores an event (a put: writing the same event twice stores it once). */
  putEvent(event: EventRecord, options?: CallOptions): Promise<void>;
  /** Stores several events in as few round trips as the store allows (BatchWriteItem). */
  putEvents(events: readonly EventRecord[], options?: CallOptions): Promise<void>;
  eventExists(customerId: string, position: EventPosition, options?: CallOptions): Promise<boolean>;
  deleteEvent(customerId: string, position: EventPosition, options?: CallOptions): Promise<void>;
  /**
   * Moves up to `limit` events from one timeline to another (put, then
   * delete); `more` when some remain. An event without `via` gets
   * `@<fromId>`, so it stays traceable to the customer it came from.
   */
  moveEvents(fromId: string, toId: string, limit: number, options?: CallOptions): Promise<{ moved: number; more: boolean }>;
  /**
   * Moves the events whose `via` is one of `vias` (an event without `via`
   * counts as `@<fromId>`), one page per call from `after` (an opaque
   * position); `next` is where the following call starts, absent at the end.
   */
  moveEventsVia(fromId: string, toId: string, vias: readonly string[], after: string | undefined, options?: CallOptions): Promise<{ moved: number; next?: string | undefined }>;
  /** Deletes up to one page of a customer's timeline; `more` when some remain. */
  deleteEvents(customerId: string, options?: CallOptions): Promise<PageDeletion>;
  claimIdempotencyKey(record: IdempotencyRecord, options?: CallOptions): Promise<IdempotencyClaim>;
  /** Hands a key over to a new event if it still names `previousEventId` (taking over an abandoned claim). */
  takeOverIdempotencyKey(record: IdempotencyRecord, previousEventId: string, options?: CallOptions): Promise<WriteOutcome>;
  /** Gives a key back after the write it guarded failed, if it still names `eventId`. */
  releaseIdempotencyKey(key: string, eventId: string, options?: CallOptions): Promise<void>;
  appendConsentChanges(changes: readonly ConsentChangeRecord[], options?: CallOptions): Promise<void>;
  /** A customer's consent decisions, newest first, optionally for one purpose. */
  getConsentHistory(customerId: string, query: { purpose?: Purpose | undefined; first: number }, options?: CallOptions): Promise<ConsentChangeRecord[]>;
  deleteConsentHistory(customerId: string, options?: CallOptions): Promise<PageDeletion>;
  /** Deletes these entries from a customer's consent history (an unmerge moved them). */
  deleteConsentChanges(customerId: string, changes: ReadonlyArray<Pick<ConsentChangeRecord, 'at' | 'id'>>, options?: CallOptions): Promise<void>;
  appendIdentityLog(entries: readonly IdentityLogEntry[], options?: CallOptions): Promise<void>;
  /** A customer's identity change log, newest first. */
  getIdentityLog(customerId: string, first: number, options?: CallOptions): Promise<IdentityLogEntry[]>;
  deleteIdentityLog(customerId: string, options?: CallOptions): Promise<PageDeletion>;
  getErasureJob(customerId: string, options?: CallOptions): Promise<ErasureJobRecord | null>;
  putErasureJob(job: ErasureJobRecord, options?: CallOptions): Promise<void>;
  /** The suppression list by hash (batch contract; strongly consistent, so a refusal holds right after an erasure). */
  getSuppressions(hashes: readonly string[], options?: CallOptions): Promise<ReadonlyArray<SuppressionRecord | null | Error>>;
  /** Puts entries on the list (a put: the same hash twice is one entry). */
  putSuppressions(records: readonly SuppressionRecord[], options?: CallOptions): Promise<void>;
  /** Takes an entry off the list; resolves to the entry that was there, or null. */
  deleteSuppression(hash: string, options?: CallOptions): Promise<SuppressionRecord | null>;
  /**
   * The fingerprint of the key the suppression list is written under, kept
   * beside its entries: stores `fingerprint` when none is stored yet, and
   * resolves to the one stored (the given one, or the one stored before).
   * Never overwrites, so a gateway started with another key cannot adopt the
   * list (src/erasure/suppression.ts).
   */
  claimSuppressionKeyFingerprint(fingerprint: string, options?: CallOptions): Promise<string>;
  /**
   * Match links: an external resolver's match group (AWS Entity Resolution's
   * matchId) → the canonical customer it stands for, kept beside the identity
   * index. Same contract as the identity index methods.
   */
  customerIdsByMatch(matchIds: readonly string[], options?: CallOptions): Promise<ReadonlyArray<string | null | Error>>;
  claimMatch(matchId: string, customerId: string, options?: CallOptions): Promise<IdentityClaim>;
  releaseMatch(matchId: string, customerIds: readonly string[], options?: CallOptions): Promise<WriteOutcome>;
  /** Every customer item, a page at a time (batch segment evaluation). */
  scanCustomers(limit: number, after?: string, options?: CallOptions): Promise<CustomerScanPage>;

  /** Stores a merge suggestion unless one with its id exists (the pair was suggested before): `conflict` then. */
  putMergeSuggestion(suggestion: MergeSuggestionRecord, options?: CallOptions): Promise<WriteOutcome>;
  getMergeSuggestion(id: string, options?: CallOptions): Promise<MergeSuggestionRecord | null>;
  /** Replaces a suggestion (a decision) if its stored status is still `expectedStatus`. */
  replaceMergeSuggestion(suggestion: MergeSuggestionRecord, expectedStatus: SuggestionStatus, options?: CallOptions): Promise<WriteOutcome>;
  /** One page of the suggestions with a status, newest first, from after `after`. */
  listMergeSuggestions(query: { readonly status: SuggestionStatus; readonly first: number; readonly after?: SuggestionPosition | undefined }, options?: CallOptions): Promise<SuggestionPage>;
}
