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
import type {
  ApiKeyRecord,
  AuditPage,
  AuditPosition,
  AuditRecordModel,
  ConsentChangeRecord,
  CustomerRecord,
  CustomerScanPage,
  ErasureJobRecord,
  EventPage,
  EventPosition,
  EventQuery,
  EventRecord,
  IdempotencyRecord,
  IdentityKey,
  IdentityLogEntry,
  JobPage,
  JobRecord,
  MergeLink,
  MergeSuggestionRecord,
  Purpose,
  SuggestionPage,
  SuggestionPosition,
  SuggestionStatus,
  SuppressionRecord,
} from '../../src/domain/index.js';
import type { CallOptions } from '../resilience/callOptions.js';
import type { GuardedCall, GuardPlan } from '../resilience/guardedPort.js';
import type { SegmentChangeEntry, SegmentDueRecord, SegmentIndexState, SegmentIndexWrite, SegmentJobRecord, SegmentMemberPage } from './segmentIndex.js';

/** What an update of a customer's activity expects to find stored. */
export interface ActivityExpectation {
  readonly version: number;
  readonly activityRevision: number;
}

/** A conditional write either lands or finds the item changed (or present) since it was read. */
export type WriteOutcome = 'written' | 'conflict';

export type IdentityClaim = { readonly status: 'claimed' } | { readonly status: 'held'; readonly customerId: string };

export type IdempotencyClaim = { readonly status: 'claimed' } | { readonly status: 'exists'; readonly record: IdempotencyRecord };

/** Deletes go a page at a time, each within the source's deadline; the caller repeats while `more`. */
export interface PageDeletion {
  readonly deleted: number;
  readonly more: boolean;
}

export interface ReadOptions extends CallOptions {
  /** Strongly consistent read: writers read this way before a conditional write. */
  readonly consistent?: boolean;
}

/** Customers as readers see them: by id, merge links, and a scan for batch work. */
export interface CustomerReadPort {
  /** Customers by id, merged or not (the caller follows `mergedInto`). */
  getCustomers(ids: readonly string[], options?: ReadOptions): Promise<ReadonlyArray<CustomerRecord | null | Error>>;
  /** Merge links by id: a projection of the customer item, for resolution. */
  getMergeLinks(ids: readonly string[], options?: CallOptions): Promise<ReadonlyArray<MergeLink | null | Error>>;
  /** Every customer item, a page at a time (batch segment evaluation). */
  scanCustomers(limit: number, after?: string, options?: CallOptions): Promise<CustomerScanPage>;
}

/** Customer items for the write path. Conditional writes answer `conflict` instead of throwing, so an expected race never counts as a source failure (circuit breaker). */
export interface CustomerWritePort {
  /** Creates a customer whose id is not taken. */
  createCustomer(record: CustomerRecord, options?: CallOptions): Promise<WriteOutcome>;
  /**
   * Replaces a customer if its stored version is still `expectedVersion` and
   * its activity revision still the record's `activityRevision` (no `track`
   * changed it since it was read); the record carries the next version, and
   * the stored activity revision moves on by one (0 for a customer that had
   * none), so a `track` that read the customer before cannot land.
   */
  replaceCustomer(record: CustomerRecord, expectedVersion: number, options?: CallOptions): Promise<WriteOutcome>;
  /**
   * Replaces a customer but not its activity (customerActivity.ts) if its
   * stored version is still `expectedVersion`: for a change that leaves the
   * activity, and the merge and split markers, as read (a merge's
   * bookkeeping, a profile change). A `track` that changed the activity
   * since the record was read is kept; the activity revision stays.
   */
  replaceCustomerKeepingActivity(record: CustomerRecord, expectedVersion: number, options?: CallOptions): Promise<WriteOutcome>;
  /**
   * Stores the record's activity alone (customerActivity.ts: traits, latest
   * event times, facts per identifier, last sightings, segments, the segment
   * index mark, the write token) if the customer is still at
   * (or a replace that kept the activity followed it) with activity revision
   * `expected.activityRevision`, and no replace of it is in progress; the stored revision becomes
   * `expected.activityRevision + 1`. Other fields of the record are ignored.
   * A customer without an activity revision (written before activities were
   * kept apart) is not updated this way: replace it.
   */
  updateCustomerActivity(record: CustomerRecord, expected: ActivityExpectation, options?: CallOptions): Promise<WriteOutcome>;
  /** Deletes customer items; resolves to how many existed. */
  deleteCustomers(ids: readonly string[], options?: CallOptions): Promise<number>;
}

/** The identity index (which customer holds each identifier) and the match links of an external resolver, with their conditional writes. */
export interface IdentityIndexPort {
  /** Identity index: which customer holds each identifier. */
  customerIdsByIdentity(keys: readonly IdentityKey[], options?: ReadOptions): Promise<ReadonlyArray<string | null | Error>>;
  /** Claims an identifier for a customer if no customer holds it. */
  claimIdentity(key: IdentityKey, customerId: string, options?: CallOptions): Promise<IdentityClaim>;
  /** Points an identifier at `toId` if it is still held by one of `fromIds`. */
  moveIdentity(key: IdentityKey, fromIds: readonly string[], toId: string, options?: CallOptions): Promise<WriteOutcome>;
  /** Removes an identifier from the index if `customerIds` still hold it. */
  releaseIdentity(key: IdentityKey, customerIds: readonly string[], options?: CallOptions): Promise<WriteOutcome>;
  /**
   * Match links: an external resolver's match group (AWS Entity Resolution's
   * matchId) → the canonical customer it stands for, kept beside the identity
   * index. Same contract as the identity index methods.
   */
  customerIdsByMatch(matchIds: readonly string[], options?: CallOptions): Promise<ReadonlyArray<string | null | Error>>;
  claimMatch(matchId: string, customerId: string, options?: CallOptions): Promise<IdentityClaim>;
  releaseMatch(matchId: string, customerIds: readonly string[], options?: CallOptions): Promise<WriteOutcome>;
}

/** Customers' timelines. */
export interface EventPort {
  /** One page of a customer's timeline, oldest first or newest first as the query asks. */
  getEvents(customerId: string, query: EventQuery, options?: CallOptions): Promise<EventPage>;
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
}

/** `track` idempotency keys. */
export interface IdempotencyPort {
  claimIdempotencyKey(record: IdempotencyRecord, options?: CallOptions): Promise<IdempotencyClaim>;
  /** Hands a key over to a new event if it still names `previousEventId` (taking over an abandoned claim). */
  takeOverIdempotencyKey(record: IdempotencyRecord, previousEventId: string, options?: CallOptions): Promise<WriteOutcome>;
  /** Gives a key back after the write it guarded failed, if it still names `eventId`. */
  releaseIdempotencyKey(key: string, eventId: string, options?: CallOptions): Promise<void>;
}

/** Consent decisions as they happened. */
export interface ConsentHistoryPort {
  appendConsentChanges(changes: readonly ConsentChangeRecord[], options?: CallOptions): Promise<void>;
  /** A customer's consent decisions, newest first, optionally for one purpose. */
  getConsentHistory(customerId: string, query: { purpose?: Purpose | undefined; first: number }, options?: CallOptions): Promise<ConsentChangeRecord[]>;
  deleteConsentHistory(customerId: string, options?: CallOptions): Promise<PageDeletion>;
  /** Deletes these entries from a customer's consent history (an unmerge moved them). */
  deleteConsentChanges(customerId: string, changes: ReadonlyArray<Pick<ConsentChangeRecord, 'at' | 'id'>>, options?: CallOptions): Promise<void>;
}

/** The identity graph's change log. */
export interface IdentityLogPort {
  appendIdentityLog(entries: readonly IdentityLogEntry[], options?: CallOptions): Promise<void>;
  /** A customer's identity change log, newest first. */
  getIdentityLog(customerId: string, first: number, options?: CallOptions): Promise<IdentityLogEntry[]>;
  deleteIdentityLog(customerId: string, options?: CallOptions): Promise<PageDeletion>;
}

/** The audit trail (src/audit/writer.ts writes it). */
export interface AuditPort {
  /** One page of a customer's audit trail, newest first. */
  getAuditTrail(customerId: string, first: number, after?: AuditPosition, options?: CallOptions): Promise<AuditPage>;
  appendAudit(record: AuditRecordModel, options?: CallOptions): Promise<void>;
  /**
   * Several audit records in one write (batch contract: one result per
   * record). Durable when it resolves; a failed write rejects as a whole.
   */
  appendAudits(records: readonly AuditRecordModel[], options?: CallOptions): Promise<Array<void | Error>>;
  /**
   * Removes these records from these customers' trails (a read's intent
   * record when the read released nothing of that customer after all,
   * src/audit/readAudit.ts). Removing a record that is not there is no error.
   */
  removeAudits(records: ReadonlyArray<{ readonly customerId: string } & AuditPosition>, options?: CallOptions): Promise<void>;
}

/** Partners' API keys (src/auth/apiKeys.ts, npm run keys). */
export interface ApiKeyPort {
  getApiKey(keyId: string, options?: CallOptions): Promise<ApiKeyRecord | null>;
  putApiKey(key: ApiKeyRecord): Promise<void>;
  listApiKeys(): Promise<readonly ApiKeyRecord[]>;
}

/** Erasure jobs and the suppression list (docs/erasure.md). */
export interface ErasurePort {
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
}

/** Merge suggestions waiting for a person (docs/identity-resolution.md). */
export interface MergeSuggestionPort {
  /** Stores a merge suggestion unless one with its id exists (the pair was suggested before): `conflict` then. */
  putMergeSuggestion(suggestion: MergeSuggestionRecord, options?: CallOptions): Promise<WriteOutcome>;
  getMergeSuggestion(id: string, options?: CallOptions): Promise<MergeSuggestionRecord | null>;
  /** Replaces a suggestion (a decision) if its stored status is still `expectedStatus`. */
  replaceMergeSuggestion(suggestion: MergeSuggestionRecord, expectedStatus: SuggestionStatus, options?: CallOptions): Promise<WriteOutcome>;
  /** One page of the suggestions with a status, newest first, from after `after`. */
  listMergeSuggestions(query: { readonly status: SuggestionStatus; readonly first: number; readonly after?: SuggestionPosition | undefined }, options?: CallOptions): Promise<SuggestionPage>;
}

/**
 * Background jobs (src/jobs/): what a merge, an unmerge or an erasure leaves
 * for a worker, with its recorded progress. Jobs are few and short-lived
 * (finished ones expire), so listing the open ones is a scan.
 */
export interface JobPort {
  /** Stores a new job unless one with its id exists (the same work was asked for before): `conflict` then. */
  createJob(job: JobRecord, options?: CallOptions): Promise<WriteOutcome>;
  /** A job by id, strongly consistent (a worker reads before it writes). */
  getJob(id: string, options?: CallOptions): Promise<JobRecord | null>;
  /** Replaces a job if its stored version is still `expectedVersion`; the record carries the next version. */
  replaceJob(job: JobRecord, expectedVersion: number, options?: CallOptions): Promise<WriteOutcome>;
  /** One page of the jobs not yet DONE, from after `after` (an opaque position); a page may be empty while `next` says more remain. */
  listOpenJobs(limit: number, after?: string, options?: CallOptions): Promise<JobPage>;
}

/** A data set loaded in bulk: customers (with their version), their events and consent history. The identity index follows from the customers' identities. */
export interface BulkLoad {
  readonly customers: readonly CustomerRecord[];
  readonly events: readonly EventRecord[];
  readonly consentHistory: readonly ConsentChangeRecord[];
}

/** Written last by a bulk load, so a load that was interrupted half-way is done again. */
export interface LoadMarker {
  readonly version: number;
  readonly customers: number;
  readonly at: string;
}

/** Loading the embedded demo data set (src/embedded/seed.ts): unconditional puts, then a marker. Start-up only, never the request path. */
export interface BulkLoadPort {
  getLoadMarker(): Promise<LoadMarker | null>;
  /** Puts every item (a put of the same item again changes nothing), as few round trips as the store allows. */
  bulkLoad(load: BulkLoad): Promise<void>;
  putLoadMarker(marker: LoadMarker): Promise<void>;
}

/**
 * The segment index (connectors/singleview/segmentIndex.ts, docs/segments.md):
 * members per segment, customers by due time, the change feed (outbox) that
 * keeps both in step with customer writes, backfill progress, and the
 * parallel scan a backfill runs on.
 */
export interface SegmentIndexPort {
  /** Announces that a customer's index entries must be reconciled (a put: one entry per customer, the newest wins). */
  putSegmentChange(entry: SegmentChangeEntry, options?: CallOptions): Promise<void>;
  /** Up to `limit` entries of one outbox shard (0 ≤ shard < SEGMENT_INDEX_SHARDS), in customer id order. */
  listSegmentChanges(shard: number, limit: number, options?: CallOptions): Promise<SegmentChangeEntry[]>;
  /** Deletes an entry if it is still the one with `seq` (no newer write announced itself meanwhile). */
  deleteSegmentChange(customerId: string, seq: string, options?: CallOptions): Promise<WriteOutcome>;
  /** What the index holds for a customer (strongly consistent), or null. */
  getSegmentIndexState(customerId: string, options?: CallOptions): Promise<SegmentIndexState | null>;
  /** Stores it unless a state from a newer customer version is stored: `conflict` then. */
  putSegmentIndexState(state: SegmentIndexState, options?: CallOptions): Promise<WriteOutcome>;
  /** Deletes the state item (the customer is gone and its entries are removed). */
  deleteSegmentIndexState(customerId: string, options?: CallOptions): Promise<void>;
  /** Puts and deletes member and due items, as few round trips as the store allows. */
  writeSegmentIndex(write: SegmentIndexWrite, options?: CallOptions): Promise<void>;
  /** One page of a segment's members in customer id order, after the customer id `after`. */
  listSegmentMembers(segmentId: string, first: number, after?: string, options?: CallOptions): Promise<SegmentMemberPage>;
  /** Up to `limit` due items of one hour bucket's shard whose due time is at most `until`, earliest first. */
  listDueCustomers(bucket: string, shard: number, until: string, limit: number, options?: CallOptions): Promise<SegmentDueRecord[]>;
  getSegmentJob(id: string, options?: CallOptions): Promise<SegmentJobRecord | null>;
  /** Stores a job's state if its stored revision is still `expectedRevision` (null: none stored); the record carries the next revision. */
  putSegmentJob(job: SegmentJobRecord, expectedRevision: number | null, options?: CallOptions): Promise<WriteOutcome>;
  /** One page of one of `totalSegments` disjoint parts of the customers (DynamoDB's parallel Scan): backfills scan the parts at once. */
  scanCustomerSegment(segment: number, totalSegments: number, limit: number, after?: string, options?: CallOptions): Promise<CustomerScanPage>;
}

/** Health for readiness, and close at shutdown. */
export interface SourceLifecyclePort {
  /** Throws when the store cannot be reached. */
  health(options?: CallOptions): Promise<void>;
  close(): Promise<void>;
}

/** The whole single view, as its adapters implement it; callers take the roles they need. */
export interface SingleViewPort
  extends CustomerReadPort,
    CustomerWritePort,
    IdentityIndexPort,
    EventPort,
    IdempotencyPort,
    ConsentHistoryPort,
    IdentityLogPort,
    AuditPort,
    ApiKeyPort,
    ErasurePort,
    MergeSuggestionPort,
    JobPort,
    BulkLoadPort,
    SegmentIndexPort,
    SourceLifecyclePort {}

const read = (options: number, batch?: number): GuardedCall => ({ kind: 'read', options, ...(batch === undefined ? {} : { batch }) });
const idempotent = (options: number, batch?: number): GuardedCall => ({ kind: 'idempotent', options, ...(batch === undefined ? {} : { batch }) });
const write = (options: number, batch?: number): GuardedCall => ({ kind: 'write', options, ...(batch === undefined ? {} : { batch }) });

/**
 * How each method runs under the single view's guard (guardPort): reads
 * and idempotent puts are retried within the deadline, other writes get one
 * attempt. API key writes and listing are administration (npm run keys) and
 * key lookups have a guard of their own (src/sources.ts); health, close and
 * the job worker's poll for open jobs (every few seconds, with or without
 * work) run outside the request path.
 */
export const SINGLE_VIEW_CALLS: GuardPlan<SingleViewPort> = {
  getCustomers: read(1, 0),
  getMergeLinks: read(1, 0),
  scanCustomers: read(2),
  createCustomer: write(1),
  replaceCustomer: write(2),
  replaceCustomerKeepingActivity: write(2),
  updateCustomerActivity: write(2),
  deleteCustomers: write(1, 0),
  customerIdsByIdentity: read(1, 0),
  claimIdentity: write(2),
  moveIdentity: write(3),
  releaseIdentity: write(2),
  customerIdsByMatch: read(1, 0),
  claimMatch: write(2),
  releaseMatch: write(2),
  getEvents: read(2),
  putEvent: idempotent(1),
  putEvents: idempotent(1, 0),
  eventExists: read(2),
  deleteEvent: write(2),
  moveEvents: write(3),
  moveEventsVia: write(4),
  deleteEvents: write(1),
  claimIdempotencyKey: write(1),
  takeOverIdempotencyKey: write(2),
  releaseIdempotencyKey: write(2),
  appendConsentChanges: write(1, 0),
  getConsentHistory: read(2),
  deleteConsentHistory: write(1),
  deleteConsentChanges: write(2, 1),
  appendIdentityLog: write(1, 0),
  getIdentityLog: read(2),
  deleteIdentityLog: write(1),
  getAuditTrail: read(3),
  appendAudit: idempotent(1),
  appendAudits: idempotent(1, 0),
  removeAudits: idempotent(1, 0),
  getApiKey: 'unguarded',
  putApiKey: 'unguarded',
  listApiKeys: 'unguarded',
  getErasureJob: read(1),
  putErasureJob: write(1),
  getSuppressions: read(1, 0),
  putSuppressions: idempotent(1, 0),
  deleteSuppression: write(1),
  claimSuppressionKeyFingerprint: idempotent(1),
  putMergeSuggestion: write(1),
  getMergeSuggestion: read(1),
  replaceMergeSuggestion: write(2),
  listMergeSuggestions: read(1),
  createJob: write(1),
  getJob: read(1),
  replaceJob: write(2),
  listOpenJobs: 'unguarded',
  putSegmentChange: idempotent(1),
  listSegmentChanges: read(2),
  deleteSegmentChange: write(2),
  getSegmentIndexState: read(1),
  putSegmentIndexState: write(1),
  deleteSegmentIndexState: idempotent(1),
  writeSegmentIndex: idempotent(1),
  listSegmentMembers: read(3),
  listDueCustomers: read(4),
  getSegmentJob: read(1),
  putSegmentJob: write(2),
  scanCustomerSegment: read(4),
  getLoadMarker: 'unguarded',
  bulkLoad: 'unguarded',
  putLoadMarker: 'unguarded',
  health: 'unguarded',
  close: 'unguarded',
};

/** Key lookups: under the key lookup guard (its own concurrency budget and breaker, docs/security.md "Floods"). */
export const API_KEY_LOOKUP_CALLS: GuardPlan<Pick<ApiKeyPort, 'getApiKey'>> = { getApiKey: read(1) };
