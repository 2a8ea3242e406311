import type { z } from 'zod';
import type { CallOptions } from '../resilience/callOptions.js';
import { SourceError } from '../resilience/sourceError.js';
import { TrustedRecords } from '../shared/trustedRecords.js';
import { MAX_AUDIT_ITEM_BYTES, auditItems, eventSortKey, matchIndexKey, timelineRange } from './keys.js';
import { namesCustomers, sizeBound, sortFieldDecisions } from './auditFields.js';
import type { ApiKeyRecord, AuditPage, AuditPosition, AuditRecordModel, ConsentChangeRecord, CustomerRecord, CustomerScanPage, ErasureJobRecord, EventPage, EventPosition, EventQuery, EventRecord, IdempotencyRecord, IdentityKey, IdentityLogEntry, JobPage, JobRecord, MergeLink, Purpose, SuppressionRecord, MergeSuggestionRecord, SuggestionPage, SuggestionPosition, SuggestionStatus } from '../../src/domain/index.js';
import { activityOf, withActivity } from './customerActivity.js';
import type { ActivityExpectation, BulkLoad, IdempotencyClaim, IdentityClaim, LoadMarker, PageDeletion, SingleViewPort, WriteOutcome } from './port.js';
import {
  apiKeyItemSchema,
  auditItemSchema,
  consentChangeItemSchema,
  customerItemSchema,
  erasureJobItemSchema,
  mergeSuggestionItemSchema,
  eventItemSchema,
  identityIndexItemSchema,
  identityLogItemSchema,
  idempotencyItemSchema,
  jobItemSchema,
  mergeLinkSchema,
  suppressionItemSchema,
} from './schemas.js';
import { identityIndexKey } from '../../src/domain/index.js';
import { MemorySegmentIndex } from './segmentIndexMemory.js';
import type { SegmentChangeEntry, SegmentDueRecord, SegmentIndexState, SegmentIndexWrite, SegmentJobRecord, SegmentMemberPage } from './segmentIndex.js';

type Item = Record<string, unknown>;

/** Items as the DynamoDB adapter stores them, to load a memory single view with. */
export interface SingleViewItems {
  /** Customer items (a record plus its `version`). */
  readonly customers: readonly Item[];
  /** Identity index items: `{ key: 'TYPE#value', customerId }`. */
  readonly identities: readonly Item[];
  readonly events: readonly EventRecord[];
}

/** Events read per moveEventsVia call, as the DynamoDB adapter's Query limit. */
const MOVE_PAGE = 200;

/**
 * The single view in process memory, for benchmarks (`C360_SOURCES=memory`):
 * it takes the data work out of a measurement and leaves the gateway's own.
 * Same port, same contract suite as the DynamoDB adapter. A trusted
 * in-process store: every item is copied in when written and checked against
 * the same zod schemas once (connectors/shared/trustedRecords.ts); reads hand
 * out that frozen record without copying or re-parsing it. Nothing is persisted.
 */
export class MemorySingleView implements SingleViewPort {
  /** Answers from process memory: its guard skips the remote policy (SourceGuard.markInProcess). */
  readonly inProcess = true;
  private readonly customers = new Map<string, Item>();
  private readonly identityIndex = new Map<string, Item>();
  /** Each customer's event items, sorted by sort key (`occurredAt#id`). */
  private readonly timelines = new Map<string, Item[]>();
  /** Each customer's audit items, sorted by sort key (`at#id`). */
  private readonly auditTrails = new Map<string, Item[]>();
  private readonly apiKeys = new Map<string, Item>();
  private readonly idempotencyKeys = new Map<string, Item>();
  /** Consent history and identity log items per customer, sorted by `at#id`. */
  private readonly consentHistory = new Map<string, Item[]>();
  private readonly identityLog = new Map<string, Item[]>();
  private readonly erasureJobs = new Map<string, Item>();
  /** Background jobs by id, in the order they were created (a scan's order). */
  private readonly jobs = new Map<string, Item>();
  private readonly suppressions = new Map<string, Item>();
  private suppressionKeyFingerprint: string | undefined;
  private readonly mergeSuggestions = new Map<string, Item>();
  private loadMarker: LoadMarker | undefined;
  private readonly mergeLinks = new WeakMap<Item, MergeLink | Error>();
  /** The segment index (SegmentIndexPort): segmentIndexMemory.ts. */
  private readonly segmentIndex = new MemorySegmentIndex(
    () => [...this.customers.keys()],
    (id) => parseOrThrow(customerItemSchema, this.customers.get(id)!),
  );

  constructor(items: SingleViewItems = { customers: [], identities: [], events: [] }) {
    // Checked as they are loaded, like every later write: reads never parse again.
    for (const customer of items.customers) this.customers.set(String(customer.id), validated(customerItemSchema, { ...customer }));
    for (const entry of items.identities) this.identityIndex.set(String(entry.key), validated(identityIndexItemSchema, { ...entry }));
    for (const event of items.events) insertSorted(this.timelines, event.customerId, validated(eventItemSchema, { ...event, sk: eventSortKey(event.occurredAt, event.id) }));
  }

  async getCustomers(ids: readonly string[], _options?: CallOptions): Promise<Array<CustomerRecord | null | Error>> {
    return ids.map((id) => {
      const item = this.customers.get(id);
      return item ? parseItem(customerItemSchema, item) : null;
    });
  }

  async getMergeLinks(ids: readonly string[], _options?: CallOptions): Promise<Array<MergeLink | null | Error>> {
    return ids.map((id) => {
      const item = this.customers.get(id);
      return item ? this.mergeLinkOf(item) : null;
    });
  }

  /** A customer item's merge link (the DynamoDB adapter's projected read), kept beside the item like its record. */
  private mergeLinkOf(item: Item): MergeLink | Error {
    let link = this.mergeLinks.get(item);
    if (!link) {
      link = parseItem(mergeLinkSchema, { id: item.id, mergedInto: item.mergedInto });
      this.mergeLinks.set(item, link);
    }
    return link;
  }

  async customerIdsByIdentity(keys: readonly IdentityKey[], _options?: CallOptions): Promise<Array<string | null | Error>> {
    return keys.map((key) => {
      const item = this.identityIndex.get(identityIndexKey(key));
      if (!item) return null;
      const parsed = parseItem(identityIndexItemSchema, item);
      return parsed instanceof Error ? parsed : parsed.customerId;
    });
  }

  /** The DynamoDB adapter's Query, in memory: sort-key range, `after` exclusive, type filter, one extra for hasNextPage. */
  async getEvents(customerId: string, query: EventQuery, _options?: CallOptions): Promise<EventPage> {
    const { lower, upper, after, newestFirst } = timelineRange(query);
    const wanted = query.first + 1;
    const events: EventRecord[] = [];
    const timeline = this.timelines.get(customerId) ?? [];
    for (let i = 0; i < timeline.length; i++) {
      const item = timeline[newestFirst ? timeline.length - 1 - i : i]!;
      const sk = String(item.sk);
      if (sk === after || (lower !== undefined && sk < lower) || (upper !== undefined && sk > upper)) continue;
      if (query.types && query.types.length > 0 && !query.types.includes(String(item.type))) continue;
      events.push(parseOrThrow(eventItemSchema, item));
      if (events.length === wanted) break;
    }
    return { events: events.slice(0, query.first), hasNextPage: events.length > query.first };
  }

  async getAuditTrail(customerId: string, first: number, after?: AuditPosition, _options?: CallOptions): Promise<AuditPage> {
    const afterKey = after ? `${after.at}#${after.id}` : undefined;
    // Newest first from the end of the sorted trail (or from just below the cursor, found by binary search):
    // a page costs its own size, not the trail's, which a benchmark grows to hundreds of thousands of records.
    const trail = this.auditTrails.get(customerId) ?? [];
    const end = afterKey === undefined ? trail.length : firstIndex(trail, (sk) => sk >= afterKey);
    const page = trail.slice(Math.max(0, end - (first + 1)), end).reverse();
    // As the DynamoDB adapter hands them back: sorted by path (a record's field order means nothing).
    const records = page.map((item) => {
      const record = parseOrThrow(auditItemSchema, item);
      return { ...record, fields: sortFieldDecisions([...record.fields]) };
    });
    return { records: records.slice(0, first), hasNextPage: records.length > first };
  }

  async appendAudit(record: AuditRecordModel, options?: CallOptions): Promise<void> {
    await this.appendAudits([record], options);
  }

  /** As the DynamoDB adapter: one item per customer, naming only that customer; an oversized record fails alone. */
  async appendAudits(records: readonly AuditRecordModel[], _options?: CallOptions): Promise<Array<void | Error>> {
    const results: Array<void | Error> = [];
    for (const record of records) {
      const one = singleAuditItem(record);
      if (one) {
        insertSorted(this.auditTrails, one.customerId as string, one);
        results.push(undefined);
        continue;
      }
      const items = auditItems(record);
      if (items.some((entry) => entry.bytes > MAX_AUDIT_ITEM_BYTES)) {
        results.push(new SourceError('singleview', 'rejected', 'an audit item is over the 400 KB item limit'));
        continue;
      }
      for (const { item } of items) insertSorted(this.auditTrails, String(item.customerId), item);
      results.push(undefined);
    }
    return results;
  }

  async removeAudits(records: ReadonlyArray<{ readonly customerId: string } & AuditPosition>, _options?: CallOptions): Promise<void> {
    for (const record of records) {
      const trail = this.auditTrails.get(record.customerId);
      const sk = `${record.at}#${record.id}`;
      const at = trail ? firstIndex(trail, (other) => other >= sk) : -1;
      if (trail && at < trail.length && String(trail[at]!.sk) === sk) trail.splice(at, 1);
    }
  }

  async getApiKey(keyId: string): Promise<ApiKeyRecord | null> {
    const item = this.apiKeys.get(keyId);
    return item ? parseOrThrow(apiKeyItemSchema, item) : null;
  }

  async putApiKey(key: ApiKeyRecord): Promise<void> {
    this.apiKeys.set(key.keyId, { ...key });
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const keys = [...this.apiKeys.values()].map((item) => parseOrThrow(apiKeyItemSchema, item));
    return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  // Writes: the same conditions as the DynamoDB adapter's conditional writes,
  // checked and applied in one synchronous step, which is what makes them atomic here.

  async createCustomer(record: CustomerRecord, _options?: CallOptions): Promise<WriteOutcome> {
    if (this.customers.has(record.id)) return 'conflict';
    // As the DynamoDB adapter: a new customer's activity is kept apart from the start.
    this.customers.set(record.id, validated(customerItemSchema, { ...copy(record), activityRevision: 0 }));
    return 'written';
  }

  async replaceCustomer(record: CustomerRecord, expectedVersion: number, _options?: CallOptions): Promise<WriteOutcome> {
    const stored = this.customers.get(record.id);
    // A missing version counts as 0, and a replace never brings back an erased customer.
    if (!stored || Number(stored.version ?? 0) !== expectedVersion) return 'conflict';
    // Nor does it overwrite a `track` that changed the activity since the record was read.
    if (stored.activityRevision !== record.activityRevision) return 'conflict';
    this.customers.set(record.id, validated(customerItemSchema, { ...copy(record), activityRevision: (record.activityRevision ?? -1) + 1 }));
    return 'written';
  }

  async replaceCustomerKeepingActivity(record: CustomerRecord, expectedVersion: number, _options?: CallOptions): Promise<WriteOutcome> {
    const stored = this.customers.get(record.id);
    if (!stored || Number(stored.version ?? 0) !== expectedVersion) return 'conflict';
    const current = parseOrThrow(customerItemSchema, stored);
    const next = withActivity(record, activityOf(current));
    this.customers.set(record.id, validated(customerItemSchema, { ...copy(next), activityRevision: current.activityRevision }));
    return 'written';
  }

  async updateCustomerActivity(record: CustomerRecord, expected: ActivityExpectation, _options?: CallOptions): Promise<WriteOutcome> {
    const stored = this.customers.get(record.id);
    // Every replace that changes the activity moves the revision on: the revision read is all there is to check.
    if (!stored || stored.activityRevision !== expected.activityRevision) return 'conflict';
    const next = withActivity(parseOrThrow(customerItemSchema, stored), activityOf(record));
    this.customers.set(record.id, validated(customerItemSchema, { ...copy(next), activityRevision: expected.activityRevision + 1 }));
    return 'written';
  }

  async deleteCustomers(ids: readonly string[], _options?: CallOptions): Promise<number> {
    return [...new Set(ids)].filter((id) => this.customers.delete(id)).length;
  }

  async claimIdentity(key: IdentityKey, customerId: string, _options?: CallOptions): Promise<IdentityClaim> {
    return this.claimIndexKey(identityIndexKey(key), { customerId, type: key.type, value: key.value });
  }

  async moveIdentity(key: IdentityKey, fromIds: readonly string[], toId: string, _options?: CallOptions): Promise<WriteOutcome> {
    const item = this.identityIndex.get(identityIndexKey(key));
    if (!item || !fromIds.includes(String(item.customerId))) return 'conflict';
    this.identityIndex.set(identityIndexKey(key), { ...item, customerId: toId });
    return 'written';
  }

  async releaseIdentity(key: IdentityKey, customerIds: readonly string[], _options?: CallOptions): Promise<WriteOutcome> {
    return this.releaseIndexKey(identityIndexKey(key), customerIds);
  }

  async putEvent(event: EventRecord, _options?: CallOptions): Promise<void> {
    insertSorted(this.timelines, event.customerId, validated(eventItemSchema, { ...copy(event), sk: eventSortKey(event.occurredAt, event.id) }));
  }

  async putEvents(events: readonly EventRecord[], options?: CallOptions): Promise<void> {
    for (const event of events) await this.putEvent(event, options);
  }

  async eventExists(customerId: string, position: EventPosition, _options?: CallOptions): Promise<boolean> {
    const sk = eventSortKey(position.occurredAt, position.id);
    return (this.timelines.get(customerId) ?? []).some((item) => item.sk === sk);
  }

  async deleteEvent(customerId: string, position: EventPosition, _options?: CallOptions): Promise<void> {
    const sk = eventSortKey(position.occurredAt, position.id);
    const items = this.timelines.get(customerId);
    if (items) this.timelines.set(customerId, items.filter((item) => item.sk !== sk));
  }

  async moveEvents(fromId: string, toId: string, limit: number, _options?: CallOptions): Promise<{ moved: number; more: boolean }> {
    const items = this.timelines.get(fromId) ?? [];
    const moving = items.slice(0, limit);
    this.moveEventItems(moving, fromId, toId);
    return { moved: moving.length, more: items.length > moving.length };
  }

  /** The DynamoDB adapter's paging: 200 items read per call from `after` (a sort key), those whose `via` matches moved. */
  async moveEventsVia(
    fromId: string,
    toId: string,
    vias: readonly string[],
    after: string | undefined,
    _options?: CallOptions,
  ): Promise<{ moved: number; next?: string | undefined }> {
    const wanted = new Set(vias);
    const items = this.timelines.get(fromId) ?? [];
    const start = after === undefined ? 0 : firstIndex(items, (sk) => sk > after);
    const page = items.slice(start, start + MOVE_PAGE);
    const moving = page.filter((item) => wanted.has(typeof item.via === 'string' ? item.via : `@${fromId}`));
    this.moveEventItems(moving, fromId, toId);
    const more = start + MOVE_PAGE < items.length;
    return { moved: moving.length, next: more ? String(page.at(-1)!.sk) : undefined };
  }

  /** An event without `via` gets `@<fromId>`, as in the DynamoDB adapter. */
  private moveEventItems(items: readonly Item[], fromId: string, toId: string): void {
    const leaving = new Set(items);
    for (const item of items) {
      insertSorted(this.timelines, toId, { ...item, customerId: toId, via: typeof item.via === 'string' ? item.via : `@${fromId}` });
    }
    this.timelines.set(fromId, (this.timelines.get(fromId) ?? []).filter((item) => !leaving.has(item)));
  }

  async deleteEvents(customerId: string, _options?: CallOptions): Promise<PageDeletion> {
    return deletePage(this.timelines, customerId);
  }

  async claimIdempotencyKey(record: IdempotencyRecord, _options?: CallOptions): Promise<IdempotencyClaim> {
    const stored = this.idempotencyKeys.get(record.key);
    if (stored) return { status: 'exists', record: parseOrThrow(idempotencyItemSchema, stored) };
    this.idempotencyKeys.set(record.key, copy(record));
    return { status: 'claimed' };
  }

  async takeOverIdempotencyKey(record: IdempotencyRecord, previousEventId: string, _options?: CallOptions): Promise<WriteOutcome> {
    if (this.idempotencyKeys.get(record.key)?.eventId !== previousEventId) return 'conflict';
    this.idempotencyKeys.set(record.key, copy(record));
    return 'written';
  }

  async releaseIdempotencyKey(key: string, eventId: string, _options?: CallOptions): Promise<void> {
    if (this.idempotencyKeys.get(key)?.eventId === eventId) this.idempotencyKeys.delete(key);
  }

  async appendConsentChanges(changes: readonly ConsentChangeRecord[], _options?: CallOptions): Promise<void> {
    for (const change of changes) insertSorted(this.consentHistory, change.customerId, { ...copy(change), sk: `${change.at}#${change.id}` });
  }

  async getConsentHistory(
    customerId: string,
    query: { purpose?: Purpose | undefined; first: number },
    _options?: CallOptions,
  ): Promise<ConsentChangeRecord[]> {
    return [...(this.consentHistory.get(customerId) ?? [])]
      .reverse()
      .filter((item) => query.purpose === undefined || item.purpose === query.purpose)
      .slice(0, query.first)
      .map((item) => parseOrThrow(consentChangeItemSchema, item));
  }

  async deleteConsentHistory(customerId: string, _options?: CallOptions): Promise<PageDeletion> {
    return deletePage(this.consentHistory, customerId);
  }

  async deleteConsentChanges(customerId: string, changes: ReadonlyArray<Pick<ConsentChangeRecord, 'at' | 'id'>>, _options?: CallOptions): Promise<void> {
    const gone = new Set(changes.map((change) => `${change.at}#${change.id}`));
    const items = this.consentHistory.get(customerId);
    if (items) this.consentHistory.set(customerId, items.filter((item) => !gone.has(String(item.sk))));
  }

  async appendIdentityLog(entries: readonly IdentityLogEntry[], _options?: CallOptions): Promise<void> {
    for (const entry of entries) insertSorted(this.identityLog, entry.customerId, { ...copy(entry), sk: `${entry.at}#${entry.id}` });
  }

  async getIdentityLog(customerId: string, first: number, _options?: CallOptions): Promise<IdentityLogEntry[]> {
    return [...(this.identityLog.get(customerId) ?? [])]
      .reverse()
      .slice(0, first)
      .map((item) => parseOrThrow(identityLogItemSchema, item));
  }

  async deleteIdentityLog(customerId: string, _options?: CallOptions): Promise<PageDeletion> {
    return deletePage(this.identityLog, customerId);
  }

  async getErasureJob(customerId: string, _options?: CallOptions): Promise<ErasureJobRecord | null> {
    const item = this.erasureJobs.get(customerId);
    return item ? parseOrThrow(erasureJobItemSchema, item) : null;
  }

  async putErasureJob(job: ErasureJobRecord, _options?: CallOptions): Promise<void> {
    this.erasureJobs.set(job.customerId, copy(job));
  }

  async createJob(job: JobRecord, _options?: CallOptions): Promise<WriteOutcome> {
    if (this.jobs.has(job.id)) return 'conflict';
    this.jobs.set(job.id, copy(job));
    return 'written';
  }

  async getJob(id: string, _options?: CallOptions): Promise<JobRecord | null> {
    const item = this.jobs.get(id);
    return item ? parseOrThrow(jobItemSchema, item) : null;
  }

  async replaceJob(job: JobRecord, expectedVersion: number, _options?: CallOptions): Promise<WriteOutcome> {
    const stored = this.jobs.get(job.id);
    if (!stored || stored.version !== expectedVersion) return 'conflict';
    this.jobs.set(job.id, copy(job));
    return 'written';
  }

  /** As the DynamoDB adapter's scan: `limit` items looked at per page, the open ones returned. */
  async listOpenJobs(limit: number, after?: string, _options?: CallOptions): Promise<JobPage> {
    const ids = [...this.jobs.keys()];
    const start = after === undefined ? 0 : ids.indexOf(after) + 1;
    const page = ids.slice(start, start + limit);
    const jobs = page.map((id) => parseOrThrow(jobItemSchema, this.jobs.get(id)!)).filter((job) => job.status === 'OPEN');
    return { jobs, next: start + limit < ids.length ? page.at(-1) : undefined };
  }

  async getSuppressions(hashes: readonly string[], _options?: CallOptions): Promise<Array<SuppressionRecord | null | Error>> {
    return hashes.map((hash) => {
      const item = this.suppressions.get(hash);
      return item ? parseItem(suppressionItemSchema, item) : null;
    });
  }

  async putSuppressions(records: readonly SuppressionRecord[], _options?: CallOptions): Promise<void> {
    for (const record of records) this.suppressions.set(record.hash, copy(record));
  }

  async deleteSuppression(hash: string, _options?: CallOptions): Promise<SuppressionRecord | null> {
    const item = this.suppressions.get(hash);
    this.suppressions.delete(hash);
    return item ? parseOrThrow(suppressionItemSchema, item) : null;
  }

  async claimSuppressionKeyFingerprint(fingerprint: string, _options?: CallOptions): Promise<string> {
    this.suppressionKeyFingerprint ??= fingerprint;
    return this.suppressionKeyFingerprint;
  }

  async putMergeSuggestion(suggestion: MergeSuggestionRecord, _options?: CallOptions): Promise<WriteOutcome> {
    if (this.mergeSuggestions.has(suggestion.id)) return 'conflict';
    this.mergeSuggestions.set(suggestion.id, copy(suggestion));
    return 'written';
  }

  async getMergeSuggestion(id: string, _options?: CallOptions): Promise<MergeSuggestionRecord | null> {
    const item = this.mergeSuggestions.get(id);
    return item ? parseOrThrow(mergeSuggestionItemSchema, item) : null;
  }

  async replaceMergeSuggestion(suggestion: MergeSuggestionRecord, expectedStatus: SuggestionStatus, _options?: CallOptions): Promise<WriteOutcome> {
    if (this.mergeSuggestions.get(suggestion.id)?.status !== expectedStatus) return 'conflict';
    this.mergeSuggestions.set(suggestion.id, copy(suggestion));
    return 'written';
  }

  async listMergeSuggestions(
    query: { readonly status: SuggestionStatus; readonly first: number; readonly after?: SuggestionPosition | undefined },
    _options?: CallOptions,
  ): Promise<SuggestionPage> {
    const after = query.after ? `${query.after.createdAt}#${query.after.id}` : undefined;
    const matching = [...this.mergeSuggestions.values()]
      .map((item) => parseOrThrow(mergeSuggestionItemSchema, item))
      .filter((suggestion) => suggestion.status === query.status && (after === undefined || `${suggestion.createdAt}#${suggestion.id}` < after))
      .sort((a, b) => `${b.createdAt}#${b.id}`.localeCompare(`${a.createdAt}#${a.id}`));
    return { suggestions: matching.slice(0, query.first), hasNextPage: matching.length > query.first };
  }

  async customerIdsByMatch(matchIds: readonly string[], _options?: CallOptions): Promise<Array<string | null | Error>> {
    return matchIds.map((matchId) => {
      const item = this.identityIndex.get(matchIndexKey(matchId));
      if (!item) return null;
      const parsed = parseItem(identityIndexItemSchema, item);
      return parsed instanceof Error ? parsed : parsed.customerId;
    });
  }

  async claimMatch(matchId: string, customerId: string, _options?: CallOptions): Promise<IdentityClaim> {
    return this.claimIndexKey(matchIndexKey(matchId), { customerId });
  }

  async releaseMatch(matchId: string, customerIds: readonly string[], _options?: CallOptions): Promise<WriteOutcome> {
    return this.releaseIndexKey(matchIndexKey(matchId), customerIds);
  }

  /** Pages in id order; `next` is the last id of the page, as DynamoDB's LastEvaluatedKey would be. */
  async scanCustomers(limit: number, after?: string, _options?: CallOptions): Promise<CustomerScanPage> {
    const ids = [...this.customers.keys()].sort().filter((id) => after === undefined || id > after);
    const page = ids.slice(0, limit);
    return {
      customers: page.map((id) => parseOrThrow(customerItemSchema, this.customers.get(id)!)),
      next: ids.length > page.length ? page.at(-1) : undefined,
    };
  }

  // The segment index (SegmentIndexPort): segmentIndexMemory.ts.
  putSegmentChange(entry: SegmentChangeEntry, options?: CallOptions): Promise<void> {
    return this.segmentIndex.putSegmentChange(entry, options);
  }
  listSegmentChanges(shard: number, limit: number, options?: CallOptions): Promise<SegmentChangeEntry[]> {
    return this.segmentIndex.listSegmentChanges(shard, limit, options);
  }
  deleteSegmentChange(customerId: string, seq: string, options?: CallOptions): Promise<WriteOutcome> {
    return this.segmentIndex.deleteSegmentChange(customerId, seq, options);
  }
  getSegmentIndexState(customerId: string, options?: CallOptions): Promise<SegmentIndexState | null> {
    return this.segmentIndex.getSegmentIndexState(customerId, options);
  }
  putSegmentIndexState(state: SegmentIndexState, options?: CallOptions): Promise<WriteOutcome> {
    return this.segmentIndex.putSegmentIndexState(state, options);
  }
  deleteSegmentIndexState(customerId: string, options?: CallOptions): Promise<void> {
    return this.segmentIndex.deleteSegmentIndexState(customerId, options);
  }
  writeSegmentIndex(write: SegmentIndexWrite, options?: CallOptions): Promise<void> {
    return this.segmentIndex.writeSegmentIndex(write, options);
  }
  listSegmentMembers(segmentId: string, first: number, after?: string, options?: CallOptions): Promise<SegmentMemberPage> {
    return this.segmentIndex.listSegmentMembers(segmentId, first, after, options);
  }
  listDueCustomers(bucket: string, shard: number, until: string, limit: number, options?: CallOptions): Promise<SegmentDueRecord[]> {
    return this.segmentIndex.listDueCustomers(bucket, shard, until, limit, options);
  }
  getSegmentJob(id: string, options?: CallOptions): Promise<SegmentJobRecord | null> {
    return this.segmentIndex.getSegmentJob(id, options);
  }
  putSegmentJob(job: SegmentJobRecord, expectedRevision: number | null, options?: CallOptions): Promise<WriteOutcome> {
    return this.segmentIndex.putSegmentJob(job, expectedRevision, options);
  }
  scanCustomerSegment(segment: number, totalSegments: number, limit: number, after?: string, options?: CallOptions): Promise<CustomerScanPage> {
    return this.segmentIndex.scanCustomerSegment(segment, totalSegments, limit, after, options);
  }

  private claimIndexKey(key: string, item: Item & { customerId: string }): IdentityClaim {
    const holder = this.identityIndex.get(key);
    if (holder) return { status: 'held', customerId: String(holder.customerId) };
    this.identityIndex.set(key, { key, ...item });
    return { status: 'claimed' };
  }

  private releaseIndexKey(key: string, customerIds: readonly string[]): WriteOutcome {
    const item = this.identityIndex.get(key);
    if (!item || !customerIds.includes(String(item.customerId))) return 'conflict';
    this.identityIndex.delete(key);
    return 'written';
  }

  async health(): Promise<void> {}

  async getLoadMarker(): Promise<LoadMarker | null> {
    return this.loadMarker ?? null;
  }

  async putLoadMarker(marker: LoadMarker): Promise<void> {
    this.loadMarker = { ...marker };
  }

  async bulkLoad(load: BulkLoad): Promise<void> {
    for (const customer of load.customers) {
      this.customers.set(customer.id, validated(customerItemSchema, { ...copy(customer), activityRevision: customer.activityRevision ?? 0 }));
      for (const identity of customer.identities) {
        this.identityIndex.set(identityIndexKey(identity), { key: identityIndexKey(identity), customerId: customer.id, type: identity.type, value: identity.value });
      }
    }
    await this.putEvents(load.events);
    await this.appendConsentChanges(load.consentHistory);
  }

  async close(): Promise<void> {}
}

/**
 * A record's one item, as auditItems would make it, without turning its
 * fields into JSON where that is not needed: a record on one customer's
 * trail whose fields name no other customer (every read record) is stored
 * with its fields as they are (the ledger's shared frozen list; the item
 * schema takes either form), and its size is bounded from above by its
 * strings' lengths (at most 3 bytes of UTF-8 per UTF-16 unit, plus the JSON
 * around each). Undefined for any other record, and for one that bound puts
 * near the limit: auditItems makes and measures those exactly.
 */
function singleAuditItem(record: AuditRecordModel): Item | undefined {
  if (record.customerIds.length !== 1 || namesCustomers(record.fields)) return undefined;
  // sizeBound allows 56 bytes around each field (and 2 for the brackets); this bound, 64.
  const bound = 4096 + (record.detail ? JSON.stringify(record.detail).length * 3 : 0) + sizeBound(record.fields) - 2 + 8 * record.fields.length;
  if (bound > MAX_AUDIT_ITEM_BYTES) return undefined;
  const id = keptString(record.id);
  return { ...record, id, customerId: record.customerIds[0]!, sk: `${record.at}#${id}` };
}

/**
 * A string as the store keeps it: flat. A string made by concatenation
 * (randomUUID's is 20 pieces) is a tree of pieces in V8 until something
 * reads it through, and kept as it is, an audit record's id cost about
 * 490 bytes of heap instead of 52 (bench/HISTORY.md). Searching it makes V8
 * flatten it in place; nothing else changes.
 */
function keptString(value: string): string {
  // The branch uses the search's answer, so that no compiler leaves the search out.
  return value.startsWith('\u0000') ? `${value}` : value;
}

/** Same key space as the DynamoDB adapter: identity types are upper-case words, so `MATCH#…` never collides. */
/** A store hands out and keeps its own copies, never the caller's objects. */
function copy<T>(value: T): Item {
  return structuredClone(value) as Item;
}

/** One page (200, as the DynamoDB adapter deletes) of a partition. */
function deletePage(partitions: Map<string, Item[]>, customerId: string): PageDeletion {
  const items = partitions.get(customerId) ?? [];
  const deleted = Math.min(items.length, 200);
  if (items.length > deleted) partitions.set(customerId, items.slice(deleted));
  else partitions.delete(customerId);
  return { deleted, more: items.length > deleted };
}

/** How far from the end insertSorted looks before it searches the whole partition. */
const NEAR_END = 8;

/**
 * Puts `item` in its partition by sort key, replacing one with the same key,
 * so that each partition stays sorted by `sk`, as a DynamoDB range key is.
 * Audit and event items mostly arrive in key order, or just before the last
 * few, and a benchmark writes one audit item per request to the same few
 * partitions: the end is looked at first, and only then the whole (binary
 * search).
 */
function insertSorted(partitions: Map<string, Item[]>, partition: string, item: Item): void {
  let items = partitions.get(partition);
  if (!items) partitions.set(partition, (items = []));
  const sk = String(item.sk);
  // Most writes come in key order (audit records and new events carry the time): appended without a search.
  if (items.length === 0 || String(items[items.length - 1]!.sk) < sk) {
    items.push(item);
    return;
  }
  // Or just before the last few: records of one millisecond are ordered by their random ids. Looked for from the end.
  let at = items.length - 1;
  const floor = Math.max(0, items.length - NEAR_END);
  while (at > floor && String(items[at - 1]!.sk) >= sk) at--;
  if (at === floor && floor > 0) at = firstIndex(items, (other) => other >= sk);
  if (at < items.length && String(items[at]!.sk) === sk) items[at] = item;
  else items.splice(at, 0, item);
}

/** Binary search over items sorted by `sk`: the first whose key satisfies `from` (which holds from some index on), or the length. */
function firstIndex(items: readonly Item[], from: (sk: string) => boolean): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (from(String(items[middle]!.sk))) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Parsed once per stored item, frozen, handed out as is (connectors/shared/trustedRecords.ts). */
const records = new TrustedRecords('singleview');

function parseItem<S extends z.ZodType>(schema: S, item: Item): z.output<S> | Error {
  return records.read(schema, item);
}

/** Checks an item as it is stored (its record is kept for reads); a malformed one is stored and answers as malformed. */
function validated(schema: z.ZodType, item: Item): Item {
  records.read(schema, item);
  return item;
}

function parseOrThrow<S extends z.ZodType>(schema: S, item: Item): z.output<S> {
  return records.readOrThrow(schema, item);
}
