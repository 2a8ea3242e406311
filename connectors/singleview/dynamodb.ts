import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import DataLoader from 'dataloader';
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { CallOptions } from '../resilience/callOptions.js';
import { AGAIN, boundedRetry } from '../resilience/boundedRetry.js';
import { SourceError, malformedPayload } from '../resilience/sourceError.js';
import type { z } from 'zod';
import type { ApiKeyRecord, AuditPage, AuditPosition, AuditRecordModel, ConsentChangeRecord, CustomerRecord, CustomerScanPage, ErasureJobRecord, EventPage, EventPosition, EventQuery, EventRecord, IdempotencyRecord, IdentityKey, IdentityLogEntry, JobPage, JobRecord, MergeLink, Purpose, SuppressionRecord, MergeSuggestionRecord, SuggestionPage, SuggestionPosition, SuggestionStatus } from '../../src/domain/index.js';
import type { ActivityExpectation, BulkLoad, IdempotencyClaim, IdentityClaim, LoadMarker, PageDeletion, ReadOptions, SingleViewPort, WriteOutcome } from './port.js';
import {
  apiKeyItemSchema,
  auditItemSchema,
  consentChangeItemSchema,
  customerItemSchema,
  erasureJobItemSchema,
  mergeSuggestionItemSchema,
  eventItemSchema,
  idempotencyItemSchema,
  identityIndexItemSchema,
  identityLogItemSchema,
  jobItemSchema,
  mergeLinkSchema,
  SUPPRESSION_KEY_FINGERPRINT_HASH,
  suppressionItemSchema,
  suppressionKeyFingerprintItemSchema,
  parseItem,
  parseOrThrow,
} from './schemas.js';
import { MAX_AUDIT_ITEM_BYTES, auditItems, eventSortKey, matchIndexKey, timelineRange } from './keys.js';
import { customerFields, customerItem } from './customerItem.js';
import { ACTIVITY, FENCE_STALE_MS, FOLDED_ATTRIBUTE, activityOf, packActivity, withActivityItem } from './customerActivity.js';
import { DEFAULT_RETENTION, EXPIRY_ATTRIBUTE, FINISHED_JOB_DAYS, expiryOf } from './retention.js';
import type { Retention } from './retention.js';
import { SUGGESTIONS_BY_STATUS, tableNames } from './tables.js';
import type { TableNames } from './tables.js';
import { ItemClient, cachedDynamoClient, unsignedAuth, untilAborted } from './itemClient.js';
import { identityIndexKey } from '../../src/domain/index.js';
import { DynamoSegmentIndex } from './segmentIndexDynamo.js';
import type { SegmentChangeEntry, SegmentDueRecord, SegmentIndexState, SegmentIndexWrite, SegmentJobRecord, SegmentMemberPage } from './segmentIndex.js';

export interface DynamoConnection {
  readonly endpoint?: string | undefined;
  readonly region: string;
  /** Static credentials, for dynalite; real DynamoDB uses the default AWS chain. */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  readonly tablePrefix: string;
  /** Expiry of audit records, idempotency keys and events (retention.ts); the defaults when absent. */
  readonly retention?: Retention | undefined;
  /** false: the tables must exist already (created from deploy/aws/); the gateway only checks them. */
  readonly createTables?: boolean | undefined;
  /**
   * How long one HTTP call may take before it is ended (default 5 s). Calls
   * carry no abort signal (itemClient.ts): the source guard's deadline
   * answers the request, and this ends a call the guard gave up on.
   */
  readonly requestTimeoutMs?: number | undefined;
  /**
   * The gateway's own in-process dynalite (src/embedded/dynalite.ts): requests
   * carry the shape of a SigV4 authorization, which dynalite checks, but no
   * computed signature, which it never verifies (itemClient.ts, unsignedAuth).
   */
  readonly unsigned?: boolean | undefined;
}

/** requestTimeoutMs when the connection names none. */
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

type Item = Record<string, NativeAttributeValue>;

const SOURCE = 'singleview';
/** DynamoDB's BatchGetItem limit. */
const BATCH_GET_LIMIT = 100;
/** DynamoDB's BatchWriteItem limit. */
const BATCH_WRITE_LIMIT = 25;
/** BatchWriteItem calls in flight during a bulk load. */
const BULK_LOAD_WRITERS = 8;
/** The meta table item a bulk load writes last. */
const LOAD_MARKER = 'demo-seed';
/** DynamoDB's limit on the operands of IN in a condition. */
const IN_LIMIT = 100;

type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

export function createDynamoClients(connection: DynamoConnection): { client: DynamoDBClient; document: ItemClient } {
  const client = cachedDynamoClient({
    region: connection.region,
    endpoint: connection.endpoint,
    credentials: connection.credentials,
    maxAttempts: 1, // SourceGuard owns retries and the deadline.
    ...(connection.unsigned ? unsignedAuth() : {}),
    // More sockets than the guards let calls through at once (each source's and the key lookups'
    // C360_*_CONCURRENCY): the gateway's one queue is theirs, where a call's wait is never counted
    // against the source's breaker, not this agent's, where it would be.
    requestHandler: new NodeHttpHandler({
      httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
      requestTimeout: connection.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    }),
  });
  return { client, document: new ItemClient(client) };
}

/** The single view on DynamoDB (or dynalite, which speaks the same API). */
export class DynamoSingleView implements SingleViewPort {
  readonly tables: TableNames;
  readonly client: DynamoDBClient;
  readonly document: ItemClient;
  /**
   * Eventually consistent reads of single keys, of any table, gathered over
   * one turn of the event loop into one BatchGetItem (100 keys a call), and
   * shared (sharedReads) while in flight and for the rest of the turn in
   * which they arrive. A customer's record, its merge link (the embedded
   * resolution engine's question, asked beside it for the same key) and the
   * identity index entry that names it (`me`'s login) cost one call, not
   * three; the merge link the engine asks for once the index entry has
   * answered is the one that arrived with it. A merge link is read from the
   * whole item: a projection saves bytes on the wire, not read units.
   */
  private readonly eventualReads: DataLoader<KeyRead, Item | null>;
  /** Eventually consistent reads by key (keyReadId) while in flight and until the end of the turn they arrive in. */
  private readonly sharedReads = new Map<string, Promise<Item | null>>();
  /**
   * Strongly consistent reads of single keys, of any table, asked for in the
   * same turn of the event loop: one BatchGetItem (100 keys a call), not one
   * per caller. A write path that needs several independent reads at once
   * (identify: the suppression list, the identity index and the customers
   * the write cache names as holders) pays one call for them. Never cached:
   * every load is a read.
   */
  private readonly consistentReads: DataLoader<KeyRead, Item | null>;
  /**
   * Puts to the identity change log and the audit trail asked for in the same
   * turn, whatever their table, in one BatchWriteItem (25 items a call): an
   * `identify` that merges writes its change log and its audit record
   * together, one call instead of two. Both are append-only items with ids
   * of their own; two puts of the same item never share a call.
   */
  private readonly trailWrites: DataLoader<TrailPut, void>;
  readonly retention: Retention;
  /** The segment index's calls (SegmentIndexPort), in a file of their own. */
  private readonly segmentIndex: DynamoSegmentIndex;

  constructor(connection: DynamoConnection) {
    this.tables = tableNames(connection.tablePrefix);
    this.retention = connection.retention ?? DEFAULT_RETENTION;
    const { client, document } = createDynamoClients(connection);
    this.client = client;
    this.document = document;
    this.segmentIndex = new DynamoSegmentIndex(document, (table, requests, options) => this.batchWriteRequests(table, requests, options), this.tables.segmentIndex, this.tables.customers, (items, options) =>
      this.customersWithActivity(items, options),
    );
    // Not cached by DataLoader: sharedReads shares a read only while it is in flight and for the turn it
    // arrives in, so a read never answers from one that finished in an earlier turn. setImmediate: calls
    // made in the same turn through guards of different depth still meet in one batch.
    this.eventualReads = new DataLoader((reads) => this.readKeys(reads, false), {
      cache: false,
      maxBatchSize: BATCH_GET_LIMIT,
      batchScheduleFn: (dispatch) => setImmediate(dispatch),
    });
    this.consistentReads = new DataLoader((reads) => this.readKeys(reads, true), {
      cache: false,
      maxBatchSize: BATCH_GET_LIMIT,
      batchScheduleFn: (dispatch) => setImmediate(dispatch),
    });
    this.trailWrites = new DataLoader((puts) => this.writeTrailPuts(puts), {
      cache: false,
      maxBatchSize: BATCH_WRITE_LIMIT,
      batchScheduleFn: (dispatch) => setImmediate(dispatch),
    });
  }

  async getCustomers(ids: readonly string[], options?: ReadOptions): Promise<Array<CustomerRecord | null | Error>> {
    const items = await this.readCustomerItems(ids, options);
    return ids.map((id) => {
      const item = items.get(id);
      return item ? parseCustomer(item.customer, item.activity) : null;
    });
  }

  async getMergeLinks(ids: readonly string[], options?: CallOptions): Promise<Array<MergeLink | null | Error>> {
    const items = await this.readCustomerItems(ids, options);
    return ids.map((id) => {
      const item = items.get(id);
      return item ? parseItem(mergeLinkSchema, item.customer) : null;
    });
  }

  /**
   * Customer items by id with their activity items, both tables in the
   * turn's shared BatchGetItem with whatever else is read now, of any table:
   * strongly consistent reads with the other strongly consistent ones
   * (consistentReads), eventually consistent ones with the other eventually
   * consistent ones (eventualReads).
   */
  private async readCustomerItems(ids: readonly string[], options?: ReadOptions): Promise<Map<string, CustomerItems>> {
    const unique = [...new Set(ids)];
    // Asked for in pairs, so that a customer's two items travel in the same call when a batch takes more than one.
    const pairs = unique.map((id) => Promise.all([this.key(this.tables.customers, 'id', id, undefined, options?.consistent), this.key(this.tables.customerActivity, 'id', id, undefined, options?.consistent)]));
    const items = await untilAborted(Promise.all(pairs), options?.signal);
    const found = new Map<string, CustomerItems>();
    unique.forEach((id, i) => {
      const [customer, activity] = items[i]!;
      if (customer) found.set(id, activity ? { customer, activity } : { customer });
    });
    return found;
  }

  async customerIdsByIdentity(keys: readonly IdentityKey[], options?: ReadOptions): Promise<Array<string | null | Error>> {
    const indexKeys = keys.map(identityIndexKey);
    const items = await this.batchGet(this.tables.identities, 'key', indexKeys, options, INDEX_HOLDER, options?.consistent);
    return indexKeys.map((key) => {
      const item = items.get(key);
      if (!item) return null;
      const parsed = parseItem(identityIndexItemSchema, item);
      return parsed instanceof Error ? parsed : parsed.customerId;
    });
  }

  async getEvents(customerId: string, query: EventQuery, _options?: CallOptions): Promise<EventPage> {
    const { lower, upper, after: afterKey, newestFirst } = timelineRange(query);
    const names: Record<string, string> = { '#c': 'customerId' };
    const values: Record<string, NativeAttributeValue> = { ':c': customerId };
    let condition = '#c = :c';
    if (lower !== undefined || upper !== undefined) names['#sk'] = 'sk';
    if (lower !== undefined && upper !== undefined) {
      condition += ' AND #sk BETWEEN :lo AND :hi';
      values[':lo'] = lower;
      values[':hi'] = upper;
    } else if (lower !== undefined) {
      condition += lower === afterKey ? ' AND #sk > :lo' : ' AND #sk >= :lo';
      values[':lo'] = lower;
    } else if (upper !== undefined) {
      condition += upper === afterKey ? ' AND #sk < :hi' : ' AND #sk <= :hi';
      values[':hi'] = upper;
    }
    let filter: string | undefined;
    if (query.types && query.types.length > 0) {
      names['#type'] = 'type';
      filter = `#type IN (${query.types.map((_, i) => `:t${i}`).join(', ')})`;
      query.types.forEach((type, i) => (values[`:t${i}`] = type));
    }
    const wanted = query.first + 1; // one more tells whether a next page exists
    const events: EventRecord[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.document.send(
        new QueryCommand({
          TableName: this.tables.events,
          KeyConditionExpression: condition,
          FilterExpression: filter,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ExclusiveStartKey: startKey,
          // What the page returns plus one (is there a next page?); with a type filter, which DynamoDB applies after
          // reading, a larger page keeps the round trips few.
          Limit: filter ? Math.max(wanted, 25) : wanted,
          ScanIndexForward: !newestFirst,
        }),
      );
      for (const item of page.Items ?? []) {
        if (afterKey !== undefined && item.sk === afterKey) continue;
        events.push(parseOrThrow(eventItemSchema, item));
        if (events.length === wanted) break;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && events.length < wanted);
    return { events: events.slice(0, query.first), hasNextPage: events.length > query.first };
  }

  async getAuditTrail(customerId: string, first: number, after?: AuditPosition, _options?: CallOptions): Promise<AuditPage> {
    const values: Record<string, NativeAttributeValue> = { ':c': customerId };
    let condition = 'customerId = :c';
    if (after) {
      condition += ' AND sk < :after';
      values[':after'] = `${after.at}#${after.id}`;
    }
    const page = await this.document.send(
      new QueryCommand({
        TableName: this.tables.audit,
        KeyConditionExpression: condition,
        ExpressionAttributeValues: values,
        Limit: first + 1,
        ScanIndexForward: false,
      }),
    );
    const records = (page.Items ?? []).map((item) => parseOrThrow(auditItemSchema, item));
    return { records: records.slice(0, first), hasNextPage: records.length > first };
  }

  async appendAudit(record: AuditRecordModel, options?: CallOptions): Promise<void> {
    await this.appendAudits([record], options);
  }

  /**
   * One item per customer a record concerns, so each customer's trail is one
   * Query; each item names only that customer and keeps only its fields. A
   * record with an item over DynamoDB's item limit fails on its own (an
   * Error in its place), and the others are written: one oversized record
   * never fails the batch it came in.
   */
  async appendAudits(records: readonly AuditRecordModel[], _options?: CallOptions): Promise<Array<void | Error>> {
    const perRecord = records.map((record) => auditItems(record));
    const results = perRecord.map((items) => (items.some((item) => item.bytes > MAX_AUDIT_ITEM_BYTES) ? oversizedAudit() : undefined));
    const items = perRecord.flatMap((entries, i) =>
      results[i] === undefined ? entries.map((entry) => withExpiry(entry.item, expiryOf(records[i]!.at, this.retention.auditDays))) : [],
    );
    await this.trailPuts(this.tables.audit, items);
    return results;
  }

  async removeAudits(records: ReadonlyArray<{ readonly customerId: string } & AuditPosition>, options?: CallOptions): Promise<void> {
    await this.batchWriteRequests(
      this.tables.audit,
      records.map((record) => ({ DeleteRequest: { Key: { customerId: record.customerId, sk: `${record.at}#${record.id}` } } })),
      options,
    );
  }

  async getApiKey(keyId: string): Promise<ApiKeyRecord | null> {
    const result = await this.document.send(new GetCommand({ TableName: this.tables.apiKeys, Key: { keyId } }));
    return result.Item ? parseOrThrow(apiKeyItemSchema, result.Item) : null;
  }

  async putApiKey(key: ApiKeyRecord): Promise<void> {
    await this.document.send(new PutCommand({ TableName: this.tables.apiKeys, Item: { ...key } }));
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const keys: ApiKeyRecord[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.document.send(new ScanCommand({ TableName: this.tables.apiKeys, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) keys.push(parseOrThrow(apiKeyItemSchema, item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  // ---- writes -------------------------------------------------------------

  /** The customer item, and beside it (in parallel) its empty activity item at revision 0, unless one exists. */
  async createCustomer(record: CustomerRecord, options?: CallOptions): Promise<WriteOutcome> {
    const activity = { id: record.id, [ACTIVITY.revision]: 0, [ACTIVITY.floor]: record.version ?? 0 };
    const [outcome] = await Promise.all([
      this.conditionalPut(this.tables.customers, folding(record, 0), 'attribute_not_exists(#id)', { '#id': 'id' }, undefined, options),
      this.conditionalPut(this.tables.customerActivity, activity, 'attribute_not_exists(#id)', { '#id': 'id' }, undefined, options),
    ]);
    return outcome;
  }

  /**
   * The whole customer (customerActivity.ts): first the activity item's
   * floor raised to the version this write stores and its revision moved on
   * (if it is still the revision the record was read with), so no `track`
   * based on what was read can land any more; then the customer item under
   * its version. When that put finds another version, the floor goes back
   * to what it was.
   */
  async replaceCustomer(record: CustomerRecord, expectedVersion: number, options?: CallOptions): Promise<WriteOutcome> {
    const token = record.writeToken ?? randomUUID();
    const fence = await this.fenceActivity(record.id, record.activityRevision, expectedVersion, token, options);
    if (fence === 'conflict') return 'conflict';
    // Items written before versions existed have none; they count as version 0. The item must
    // still exist: a replace never brings back a customer that was erased meanwhile.
    const condition = expectedVersion === 0 ? 'attribute_exists(#id) AND (attribute_not_exists(#v) OR #v = :v)' : '#v = :v';
    const names: Record<string, string> = expectedVersion === 0 ? { '#v': 'version', '#id': 'id' } : { '#v': 'version' };
    const outcome = await this.conditionalPut(this.tables.customers, folding(record, (record.activityRevision ?? -1) + 1), condition, names, { ':v': expectedVersion }, options);
    if (outcome === 'conflict') await this.unfenceActivity(record.id, token, fence, options);
    return outcome;
  }

  /**
   * The whole customer but its activity: one conditional PutItem, holding the
   * activity as read (`folded` at the revision read), so a `track` that
   * updated the activity item meanwhile is newer and still applies.
   */
  replaceCustomerKeepingActivity(record: CustomerRecord, expectedVersion: number, options?: CallOptions): Promise<WriteOutcome> {
    const condition = expectedVersion === 0 ? 'attribute_exists(#id) AND (attribute_not_exists(#v) OR #v = :v)' : '#v = :v';
    const names: Record<string, string> = expectedVersion === 0 ? { '#v': 'version', '#id': 'id' } : { '#v': 'version' };
    return this.conditionalPut(this.tables.customers, folding(record, record.activityRevision), condition, names, { ':v': expectedVersion }, options);
  }

  /** Raises the activity item's floor (creating the item for a customer written before activities were kept apart); what it was, to put back. */
  private async fenceActivity(
    id: string,
    revision: number | undefined,
    expectedVersion: number,
    token: string,
    _options?: CallOptions,
  ): Promise<{ floor?: NativeAttributeValue; fencedAt?: NativeAttributeValue; fencedBy?: NativeAttributeValue } | 'conflict'> {
    const names = { '#f': ACTIVITY.floor, '#fa': ACTIVITY.fencedAt, '#fb': ACTIVITY.fencedBy, '#r': ACTIVITY.revision };
    const values: Record<string, NativeAttributeValue> = { ':next': expectedVersion + 1, ':now': Date.now(), ':token': token, ':r1': (revision ?? -1) + 1 };
    let condition = 'attribute_not_exists(#id)';
    if (revision !== undefined) {
      condition = '#r = :r AND (attribute_not_exists(#f) OR #f <= :v OR #fa < :stale)';
      Object.assign(values, { ':r': revision, ':v': expectedVersion, ':stale': Date.now() - FENCE_STALE_MS });
    }
    try {
      const result = await this.document.send(
        new UpdateCommand({
          TableName: this.tables.customerActivity,
          Key: { id },
          UpdateExpression: 'SET #f = :next, #fa = :now, #fb = :token, #r = :r1',
          ConditionExpression: condition,
          ExpressionAttributeNames: revision === undefined ? { ...names, '#id': 'id' } : names,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      const old = result.Attributes ?? {};
      return { floor: old[ACTIVITY.floor], fencedAt: old[ACTIVITY.fencedAt], fencedBy: old[ACTIVITY.fencedBy] };
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return 'conflict';
      throw error;
    }
  }

  /** Puts the floor back as it was before this writer raised it, if it is still this writer's. */
  private async unfenceActivity(id: string, token: string, was: { floor?: NativeAttributeValue; fencedAt?: NativeAttributeValue; fencedBy?: NativeAttributeValue }, options?: CallOptions): Promise<void> {
    const restore = was.floor === undefined ? 'REMOVE #f, #fa, #fb' : 'SET #f = :f, #fa = :fa, #fb = :fb';
    await this.conditional(
      new UpdateCommand({
        TableName: this.tables.customerActivity,
        Key: { id },
        UpdateExpression: restore,
        ConditionExpression: '#fb = :token',
        ExpressionAttributeNames: { '#f': ACTIVITY.floor, '#fa': ACTIVITY.fencedAt, '#fb': ACTIVITY.fencedBy },
        ExpressionAttributeValues: { ':token': token, ...(was.floor === undefined ? {} : { ':f': was.floor, ':fa': was.fencedAt ?? 0, ':fb': was.fencedBy ?? '' }) },
      }),
      options,
    );
  }

  /**
   * A `track`'s change: one UpdateItem of the activity item (a few hundred
   * bytes, one write unit), conditional on the revision read and on the
   * floor being at most the version read: a replace that changes the
   * activity raises the floor to the version it stores (and the revision)
   * before it stores it, so none has happened since the read or is under way.
   *
   * "The floor at most the version read" is written `NOT #f > :v`, which
   * also holds for an item without a floor (a comparison with a missing
   * attribute is false, in DynamoDB as in dynalite), rather than
   * `attribute_not_exists(#f) OR #f <= :v`: the same condition, but
   * dynalite parses every expression again on every call, with a parser
   * for which a function call is the expensive part (about 1 ms for the
   * longer form against 0.1 ms on a busy machine, a quarter of dynalite's
   * CPU per `track`; bench/README.md, the `track` paragraph).
   */
  updateCustomerActivity(record: CustomerRecord, expected: ActivityExpectation, options?: CallOptions): Promise<WriteOutcome> {
    return this.conditional(
      new UpdateCommand({
        TableName: this.tables.customerActivity,
        Key: { id: record.id },
        UpdateExpression: 'SET #a = :a, #r = :r1',
        ConditionExpression: '#r = :r AND NOT #f > :v',
        ExpressionAttributeNames: { '#a': ACTIVITY.body, '#r': ACTIVITY.revision, '#f': ACTIVITY.floor },
        ExpressionAttributeValues: { ':a': packActivity(activityOf(record)), ':v': expected.version, ':r': expected.activityRevision, ':r1': expected.activityRevision + 1 },
      }),
      options,
    );
  }

  /**
   * The customer items first (one DeleteItem each, which tells whether it
   * existed), then all their activity items in one BatchWriteItem: a `track`
   * that lands between the two is deleted with the activity.
   */
  async deleteCustomers(ids: readonly string[], options?: CallOptions): Promise<number> {
    const unique = [...new Set(ids)];
    const deleted = await Promise.all(
      unique.map(async (id) => {
        const result = await this.document.send(
          new DeleteCommand({ TableName: this.tables.customers, Key: { id }, ReturnValues: 'ALL_OLD' }),
        );
        return result.Attributes ? 1 : 0;
      }),
    );
    await this.batchWriteRequests(this.tables.customerActivity, unique.map((id) => ({ DeleteRequest: { Key: { id } } })), options);
    return deleted.reduce<number>((sum, n) => sum + n, 0);
  }

  async claimIdentity(key: IdentityKey, customerId: string, options?: CallOptions): Promise<IdentityClaim> {
    const item = { key: identityIndexKey(key), customerId, type: key.type, value: key.value };
    return claiming('an identity index key', options, async () => {
      const outcome = await this.conditionalPut(this.tables.identities, item, 'attribute_not_exists(#k)', { '#k': 'key' }, undefined, options);
      if (outcome === 'written') return { status: 'claimed' } as const;
      const [holder] = await this.customerIdsByIdentity([key], { ...options, consistent: true });
      if (holder instanceof Error) throw holder;
      // Released between our put and this read: claim again.
      return holder ? ({ status: 'held', customerId: holder } as const) : AGAIN;
    });
  }

  async customerIdsByMatch(matchIds: readonly string[], options?: CallOptions): Promise<Array<string | null | Error>> {
    const indexKeys = matchIds.map(matchIndexKey);
    const items = await this.batchGet(this.tables.identities, 'key', indexKeys, options, INDEX_HOLDER, true);
    return indexKeys.map((key) => {
      const item = items.get(key);
      if (!item) return null;
      const parsed = parseItem(identityIndexItemSchema, item);
      return parsed instanceof Error ? parsed : parsed.customerId;
    });
  }

  claimMatch(matchId: string, customerId: string, options?: CallOptions): Promise<IdentityClaim> {
    const item = { key: matchIndexKey(matchId), customerId };
    return claiming('a match index key', options, async () => {
      const outcome = await this.conditionalPut(this.tables.identities, item, 'attribute_not_exists(#k)', { '#k': 'key' }, undefined, options);
      if (outcome === 'written') return { status: 'claimed' } as const;
      const [holder] = await this.customerIdsByMatch([matchId], options);
      if (holder instanceof Error) throw holder;
      return typeof holder === 'string' ? ({ status: 'held', customerId: holder } as const) : AGAIN;
    });
  }

  async releaseMatch(matchId: string, customerIds: readonly string[], options?: CallOptions): Promise<WriteOutcome> {
    const { condition, values } = heldByCondition(customerIds);
    return this.conditional(
      new DeleteCommand({
        TableName: this.tables.identities,
        Key: { key: matchIndexKey(matchId) },
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#c': 'customerId' },
        ExpressionAttributeValues: values,
      }),
      options,
    );
  }

  async moveIdentity(key: IdentityKey, fromIds: readonly string[], toId: string, options?: CallOptions): Promise<WriteOutcome> {
    const { condition, values } = heldByCondition(fromIds);
    return this.conditional(
      new UpdateCommand({
        TableName: this.tables.identities,
        Key: { key: identityIndexKey(key) },
        UpdateExpression: 'SET #c = :to',
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#c': 'customerId' },
        ExpressionAttributeValues: { ...values, ':to': toId },
      }),
      options,
    );
  }

  async releaseIdentity(key: IdentityKey, customerIds: readonly string[], options?: CallOptions): Promise<WriteOutcome> {
    const { condition, values } = heldByCondition(customerIds);
    return this.conditional(
      new DeleteCommand({
        TableName: this.tables.identities,
        Key: { key: identityIndexKey(key) },
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#c': 'customerId' },
        ExpressionAttributeValues: values,
      }),
      options,
    );
  }

  async putEvent(event: EventRecord, _options?: CallOptions): Promise<void> {
    await this.document.send(
      new PutCommand({ TableName: this.tables.events, Item: this.eventItem(event) }),
    );
  }

  async putEvents(events: readonly EventRecord[], options?: CallOptions): Promise<void> {
    await this.batchWrite(this.tables.events, events.map((event) => this.eventItem(event)), options);
  }

  /** An event as stored: its timeline sort key and its expiry. */
  private eventItem(event: EventRecord): Item {
    return withExpiry({ ...event, sk: eventSortKey(event.occurredAt, event.id) }, expiryOf(event.receivedAt, this.retention.eventDays));
  }

  /** An idempotency key as stored: kept the configured days from its claim. */
  private idempotencyItem(record: IdempotencyRecord): Item {
    return { ...record, [EXPIRY_ATTRIBUTE]: expiryOf(record.claimedAt, this.retention.idempotencyDays) ?? record.expiresAt };
  }

  async eventExists(customerId: string, position: EventPosition, _options?: CallOptions): Promise<boolean> {
    const result = await this.document.send(
      new GetCommand({
        TableName: this.tables.events,
        Key: { customerId, sk: eventSortKey(position.occurredAt, position.id) },
        ProjectionExpression: 'customerId',
        ConsistentRead: true,
      }),
    );
    return result.Item !== undefined;
  }

  async deleteEvent(customerId: string, position: EventPosition, _options?: CallOptions): Promise<void> {
    await this.document.send(
      new DeleteCommand({ TableName: this.tables.events, Key: { customerId, sk: eventSortKey(position.occurredAt, position.id) } }),
    );
  }

  async moveEvents(fromId: string, toId: string, limit: number, options?: CallOptions): Promise<{ moved: number; more: boolean }> {
    const page = await this.document.send(
      new QueryCommand({
        TableName: this.tables.events,
        KeyConditionExpression: 'customerId = :c',
        ExpressionAttributeValues: { ':c': fromId },
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    const items = page.Items ?? [];
    await this.moveEventItems(items, fromId, toId, options);
    return { moved: items.length, more: page.LastEvaluatedKey !== undefined };
  }

  async moveEventsVia(
    fromId: string,
    toId: string,
    vias: readonly string[],
    after: string | undefined,
    options?: CallOptions,
  ): Promise<{ moved: number; next?: string | undefined }> {
    const wanted = new Set(vias);
    const page = await this.document.send(
      new QueryCommand({
        TableName: this.tables.events,
        KeyConditionExpression: 'customerId = :c',
        ExpressionAttributeValues: { ':c': fromId },
        ExclusiveStartKey: after === undefined ? undefined : { customerId: fromId, sk: after },
        Limit: 200,
        ConsistentRead: true,
      }),
    );
    // Filtered here rather than with a FilterExpression: an event without `via` counts as `@<fromId>`.
    const items = (page.Items ?? []).filter((item) => wanted.has(typeof item.via === 'string' ? item.via : `@${fromId}`));
    await this.moveEventItems(items, fromId, toId, options);
    const next = page.LastEvaluatedKey?.sk;
    return { moved: items.length, next: typeof next === 'string' ? next : undefined };
  }

  /** Put first, then delete: a crash in between leaves a copy, never a loss; a repeat is harmless. */
  private async moveEventItems(items: readonly Item[], fromId: string, toId: string, options?: CallOptions): Promise<void> {
    const moved = items.map((item) => ({ ...item, customerId: toId, via: typeof item.via === 'string' ? item.via : `@${fromId}` }));
    await this.batchWriteRequests(this.tables.events, moved.map((Item) => ({ PutRequest: { Item } })), options);
    await this.batchWriteRequests(this.tables.events, items.map((item) => ({ DeleteRequest: { Key: { customerId: fromId, sk: item.sk } } })), options);
  }

  deleteEvents(customerId: string, options?: CallOptions): Promise<PageDeletion> {
    return this.deletePartition(this.tables.events, customerId, options);
  }

  claimIdempotencyKey(record: IdempotencyRecord, options?: CallOptions): Promise<IdempotencyClaim> {
    return claiming('an idempotency key', options, async () => {
      // "No item holds this key" as a comparison with the item's own key (an item at this key always holds it; a missing
      // attribute compares false), not attribute_not_exists: the same condition, a ninth of the parse on dynalite (below).
      const outcome = await this.conditionalPut(this.tables.idempotency, this.idempotencyItem(record), 'NOT #k = :k', { '#k': 'key' }, { ':k': record.key }, options);
      if (outcome === 'written') return { status: 'claimed' } as const;
      const result = await this.document.send(
        new GetCommand({ TableName: this.tables.idempotency, Key: { key: record.key }, ConsistentRead: true }),
      );
      // Released between our put and this read: claim again.
      return result.Item ? ({ status: 'exists', record: parseOrThrow(idempotencyItemSchema, result.Item) } as const) : AGAIN;
    });
  }

  takeOverIdempotencyKey(record: IdempotencyRecord, previousEventId: string, options?: CallOptions): Promise<WriteOutcome> {
    return this.conditionalPut(this.tables.idempotency, this.idempotencyItem(record), '#e = :e', { '#e': 'eventId' }, { ':e': previousEventId }, options);
  }

  async releaseIdempotencyKey(key: string, eventId: string, options?: CallOptions): Promise<void> {
    await this.conditional(
      new DeleteCommand({
        TableName: this.tables.idempotency,
        Key: { key },
        ConditionExpression: '#e = :e',
        ExpressionAttributeNames: { '#e': 'eventId' },
        ExpressionAttributeValues: { ':e': eventId },
      }),
      options,
    );
  }

  async appendConsentChanges(changes: readonly ConsentChangeRecord[], options?: CallOptions): Promise<void> {
    await this.batchWrite(this.tables.consentHistory, changes.map((change) => ({ ...change, sk: `${change.at}#${change.id}` })), options);
  }

  async getConsentHistory(
    customerId: string,
    query: { purpose?: Purpose | undefined; first: number },
    options?: CallOptions,
  ): Promise<ConsentChangeRecord[]> {
    const filter = query.purpose ? { expression: '#p = :p', names: { '#p': 'purpose' }, values: { ':p': query.purpose } } : undefined;
    const items = await this.queryNewestFirst(this.tables.consentHistory, customerId, query.first, filter, options);
    return items.map((item) => parseOrThrow(consentChangeItemSchema, item));
  }

  deleteConsentHistory(customerId: string, options?: CallOptions): Promise<PageDeletion> {
    return this.deletePartition(this.tables.consentHistory, customerId, options);
  }

  async deleteConsentChanges(customerId: string, changes: ReadonlyArray<Pick<ConsentChangeRecord, 'at' | 'id'>>, options?: CallOptions): Promise<void> {
    await this.batchWriteRequests(
      this.tables.consentHistory,
      changes.map((change) => ({ DeleteRequest: { Key: { customerId, sk: `${change.at}#${change.id}` } } })),
      options,
    );
  }

  async appendIdentityLog(entries: readonly IdentityLogEntry[], _options?: CallOptions): Promise<void> {
    await this.trailPuts(this.tables.identityLog, entries.map((entry) => ({ ...entry, sk: `${entry.at}#${entry.id}` })));
  }

  async getIdentityLog(customerId: string, first: number, options?: CallOptions): Promise<IdentityLogEntry[]> {
    const items = await this.queryNewestFirst(this.tables.identityLog, customerId, first, undefined, options);
    return items.map((item) => parseOrThrow(identityLogItemSchema, item));
  }

  deleteIdentityLog(customerId: string, options?: CallOptions): Promise<PageDeletion> {
    return this.deletePartition(this.tables.identityLog, customerId, options);
  }

  async getErasureJob(customerId: string, _options?: CallOptions): Promise<ErasureJobRecord | null> {
    const result = await this.document.send(
      new GetCommand({ TableName: this.tables.erasures, Key: { customerId }, ConsistentRead: true }),
    );
    return result.Item ? parseOrThrow(erasureJobItemSchema, result.Item) : null;
  }

  async putErasureJob(job: ErasureJobRecord, _options?: CallOptions): Promise<void> {
    await this.document.send(new PutCommand({ TableName: this.tables.erasures, Item: { ...job } }));
  }

  async getSuppressions(hashes: readonly string[], options?: CallOptions): Promise<Array<SuppressionRecord | null | Error>> {
    const items = await this.batchGet(this.tables.suppressions, 'hash', hashes, options, undefined, true);
    return hashes.map((hash) => {
      const item = items.get(hash);
      return item ? parseItem(suppressionItemSchema, item) : null;
    });
  }

  async putSuppressions(records: readonly SuppressionRecord[], options?: CallOptions): Promise<void> {
    const unique = [...new Map(records.map((record) => [record.hash, { ...record }])).values()];
    await this.batchWrite(this.tables.suppressions, unique, options);
  }

  async deleteSuppression(hash: string, _options?: CallOptions): Promise<SuppressionRecord | null> {
    const result = await this.document.send(
      new DeleteCommand({ TableName: this.tables.suppressions, Key: { hash }, ReturnValues: 'ALL_OLD' }),
    );
    return result.Attributes ? parseOrThrow(suppressionItemSchema, result.Attributes) : null;
  }

  claimSuppressionKeyFingerprint(fingerprint: string, options?: CallOptions): Promise<string> {
    const item = { hash: SUPPRESSION_KEY_FINGERPRINT_HASH, fingerprint };
    return claiming('the suppression key fingerprint', options, async () => {
      const outcome = await this.conditionalPut(this.tables.suppressions, item, 'attribute_not_exists(#h)', { '#h': 'hash' }, undefined, options);
      if (outcome === 'written') return fingerprint;
      const result = await this.document.send(
        new GetCommand({ TableName: this.tables.suppressions, Key: { hash: SUPPRESSION_KEY_FINGERPRINT_HASH }, ConsistentRead: true }),
      );
      return result.Item ? parseOrThrow(suppressionKeyFingerprintItemSchema, result.Item).fingerprint : AGAIN;
    });
  }

  async scanCustomers(limit: number, after?: string, options?: CallOptions): Promise<CustomerScanPage> {
    const page = await this.document.send(
      new ScanCommand({ TableName: this.tables.customers, Limit: limit, ExclusiveStartKey: after ? { id: after } : undefined }),
    );
    const customers = await this.customersWithActivity(page.Items ?? [], options);
    const next = page.LastEvaluatedKey?.id;
    return { customers, next: typeof next === 'string' ? next : undefined };
  }

  /** A put that answers `conflict` when its condition fails. */
  putMergeSuggestion(suggestion: MergeSuggestionRecord, options?: CallOptions): Promise<WriteOutcome> {
    return this.conditionalPut(this.tables.mergeSuggestions, suggestionItem(suggestion), 'attribute_not_exists(#id)', { '#id': 'id' }, undefined, options);
  }

  async getMergeSuggestion(id: string, _options?: CallOptions): Promise<MergeSuggestionRecord | null> {
    const result = await this.document.send(new GetCommand({ TableName: this.tables.mergeSuggestions, Key: { id }, ConsistentRead: true }));
    return result.Item ? parseOrThrow(mergeSuggestionItemSchema, result.Item) : null;
  }

  replaceMergeSuggestion(suggestion: MergeSuggestionRecord, expectedStatus: SuggestionStatus, options?: CallOptions): Promise<WriteOutcome> {
    return this.conditionalPut(this.tables.mergeSuggestions, suggestionItem(suggestion), '#s = :s', { '#s': 'status' }, { ':s': expectedStatus }, options);
  }

  async listMergeSuggestions(
    query: { readonly status: SuggestionStatus; readonly first: number; readonly after?: SuggestionPosition | undefined },
    _options?: CallOptions,
  ): Promise<SuggestionPage> {
    const values: Record<string, NativeAttributeValue> = { ':s': query.status };
    let condition = '#s = :s';
    if (query.after) {
      condition += ' AND listKey < :after';
      values[':after'] = `${query.after.createdAt}#${query.after.id}`;
    }
    const page = await this.document.send(
      new QueryCommand({
        TableName: this.tables.mergeSuggestions,
        IndexName: SUGGESTIONS_BY_STATUS,
        KeyConditionExpression: condition,
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: values,
        Limit: query.first + 1,
        ScanIndexForward: false,
      }),
    );
    const suggestions = (page.Items ?? []).map((item) => parseOrThrow(mergeSuggestionItemSchema, item));
    return { suggestions: suggestions.slice(0, query.first), hasNextPage: suggestions.length > query.first };
  }

  // ---- background jobs (src/jobs/) ---------------------------------------

  createJob(job: JobRecord, options?: CallOptions): Promise<WriteOutcome> {
    return this.conditionalPut(this.tables.jobs, jobItem(job), 'attribute_not_exists(#id)', { '#id': 'id' }, undefined, options);
  }

  async getJob(id: string, _options?: CallOptions): Promise<JobRecord | null> {
    const result = await this.document.send(new GetCommand({ TableName: this.tables.jobs, Key: { id }, ConsistentRead: true }));
    return result.Item ? parseOrThrow(jobItemSchema, result.Item) : null;
  }

  replaceJob(job: JobRecord, expectedVersion: number, options?: CallOptions): Promise<WriteOutcome> {
    return this.conditionalPut(this.tables.jobs, jobItem(job), '#v = :v', { '#v': 'version' }, { ':v': expectedVersion }, options);
  }

  async listOpenJobs(limit: number, after?: string, _options?: CallOptions): Promise<JobPage> {
    const page = await this.document.send(
      new ScanCommand({
        TableName: this.tables.jobs,
        FilterExpression: '#s = :open',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':open': 'OPEN' },
        Limit: limit,
        ConsistentRead: true,
        ExclusiveStartKey: after ? { id: after } : undefined,
      }),
    );
    const next = page.LastEvaluatedKey?.id;
    return { jobs: (page.Items ?? []).map((item) => parseOrThrow(jobItemSchema, item)), next: typeof next === 'string' ? next : undefined };
  }

  private conditionalPut(
    table: string,
    item: Item,
    condition: string,
    names: Record<string, string>,
    values: Record<string, NativeAttributeValue> | undefined,
    options?: CallOptions,
  ): Promise<WriteOutcome> {
    return this.conditional(
      new PutCommand({
        TableName: table,
        Item: item,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
      options,
    );
  }

  private async conditional(command: PutCommand | UpdateCommand | DeleteCommand, _options?: CallOptions): Promise<WriteOutcome> {
    try {
      await this.document.send(command as PutCommand);
      return 'written';
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return 'conflict';
      throw error;
    }
  }

  private async queryNewestFirst(
    table: string,
    customerId: string,
    first: number,
    filter: { expression: string; names: Record<string, string>; values: Record<string, NativeAttributeValue> } | undefined,
    _options?: CallOptions,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.document.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: '#cid = :cid',
          FilterExpression: filter?.expression,
          ExpressionAttributeNames: { '#cid': 'customerId', ...filter?.names },
          ExpressionAttributeValues: { ':cid': customerId, ...filter?.values },
          ScanIndexForward: false,
          Limit: Math.max(first, 25),
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey && items.length < first);
    return items.slice(0, first);
  }

  /** Deletes one page of the items under one partition key. */
  private async deletePartition(table: string, customerId: string, options?: CallOptions): Promise<PageDeletion> {
    const page = await this.document.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'customerId = :c',
        ExpressionAttributeValues: { ':c': customerId },
        ProjectionExpression: 'customerId, sk',
        ConsistentRead: true,
        Limit: 200,
      }),
    );
    const keys = page.Items ?? [];
    await this.batchWriteRequests(table, keys.map((Key) => ({ DeleteRequest: { Key } })), options);
    return { deleted: keys.length, more: page.LastEvaluatedKey !== undefined };
  }

  // The segment index (SegmentIndexPort): segmentIndexDynamo.ts.
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

  async health(_options?: CallOptions): Promise<void> {
    await this.client.send(new ListTablesCommand({ Limit: 1 }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  /** Scanned customer items as records: their activity items read in one BatchGetItem per 100. */
  private async customersWithActivity(items: readonly Item[], options?: CallOptions): Promise<CustomerRecord[]> {
    const activities = await this.batchGet(this.tables.customerActivity, 'id', items.map((item) => String(item.id)), options, undefined, true);
    return items.map((item) => {
      const parsed = parseCustomer(item, activities.get(String(item.id)));
      if (parsed instanceof Error) throw parsed;
      return parsed;
    });
  }

  /** Items by key value through the turn's shared BatchGetItem (consistentReads or eventualReads); with `projection`, those attributes and the key only. */
  async batchGet(
    table: string,
    keyName: string,
    keys: readonly string[],
    options?: CallOptions,
    projection?: readonly string[],
    consistent?: boolean,
  ): Promise<Map<string, Item>> {
    const unique = [...new Set(keys)];
    const items = await untilAborted(this.keys(table, keyName, unique, projection, consistent), options?.signal);
    const found = new Map<string, Item>();
    items.forEach((item, i) => {
      if (item) found.set(unique[i]!, item);
    });
    return found;
  }

  /** Appends to the identity log or the audit trail through the turn's shared BatchWriteItem (trailWrites). */
  private async trailPuts(table: string, items: readonly Item[]): Promise<void> {
    await Promise.all(items.map((item) => this.trailWrites.load({ table, item })));
  }

  /** One batch of the turn's trail puts: as few BatchWriteItem calls as hold them with no item twice in a call. */
  private async writeTrailPuts(puts: readonly TrailPut[]): Promise<Array<void | Error>> {
    const calls: Array<{ keys: Set<string>; requests: Record<string, WriteRequest[]> }> = [];
    // The call that carries each put: a put fails with it.
    const carriedBy = puts.map((put) => {
      const key = `${put.table}\u0000${String(put.item.customerId)}\u0000${String(put.item.sk)}`;
      let index = calls.findIndex((candidate) => !candidate.keys.has(key));
      if (index < 0) index = calls.push({ keys: new Set(), requests: {} }) - 1;
      calls[index]!.keys.add(key);
      (calls[index]!.requests[put.table] ??= []).push({ PutRequest: { Item: put.item } });
      return index;
    });
    const outcomes = await Promise.allSettled(calls.map((call) => this.sendBatchWrite(call.requests)));
    return carriedBy.map((index) => {
      const outcome = outcomes[index]!;
      if (outcome.status === 'fulfilled') return undefined;
      return outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason));
    });
  }

  /** Items by key through the turn's shared BatchGetItem (consistentReads, or eventualReads through sharedReads); null where none. */
  private keys(table: string, keyName: string, keys: readonly string[], projection: readonly string[] | undefined, consistent: boolean | undefined): Promise<Array<Item | null>> {
    return Promise.all(keys.map((key) => this.key(table, keyName, key, projection, consistent)));
  }

  private key(table: string, keyName: string, key: string, projection: readonly string[] | undefined, consistent: boolean | undefined): Promise<Item | null> {
    return consistent ? this.consistentReads.load({ table, keyName, key, projection }) : this.sharedRead({ table, keyName, key, projection });
  }

  /** An eventually consistent read of one key, shared while in flight and for the rest of the turn its answer arrives in. */
  private sharedRead(read: KeyRead): Promise<Item | null> {
    const id = keyReadId(read);
    const shared = this.sharedReads.get(id);
    if (shared) return shared;
    const loaded = this.eventualReads.load(read);
    this.sharedReads.set(id, loaded);
    const forget = () =>
      setImmediate(() => {
        if (this.sharedReads.get(id) === loaded) this.sharedReads.delete(id);
      });
    loaded.then(forget, forget);
    return loaded;
  }

  /**
   * One BatchGetItem for the keys asked for in a turn (at most 100): one
   * entry per table, strongly or eventually consistent; a table asked for
   * with two different projections in the same turn takes a second call.
   * Unprocessed keys are sent again (leftOvers).
   */
  private async readKeys(reads: readonly KeyRead[], consistent: boolean): Promise<Array<Item | null>> {
    type Group = { table: string; keyName: string; projection?: readonly string[] | undefined; keys: Set<string>; found: Map<string, Item> };
    const groups = new Map<string, Group>();
    for (const read of reads) {
      const group = groups.get(readGroupOf(read)) ?? { table: read.table, keyName: read.keyName, projection: read.projection, keys: new Set<string>(), found: new Map<string, Item>() };
      group.keys.add(read.key);
      groups.set(readGroupOf(read), group);
    }
    // Each call holds a table once.
    const calls: Group[][] = [];
    for (const group of groups.values()) {
      const call = calls.find((entries) => !entries.some((entry) => entry.table === group.table));
      if (call) call.push(group);
      else calls.push([group]);
    }
    await Promise.all(
      calls.map(async (entries) => {
        type Request = Record<string, { Keys: Item[]; ConsistentRead: boolean; ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> }>;
        let request: Request | undefined = Object.fromEntries(
          entries.map((group) => [
            group.table,
            { Keys: [...group.keys].map((key) => ({ [group.keyName]: key })), ConsistentRead: consistent, ...(group.projection && projectionOf([group.keyName, ...group.projection])) },
          ]),
        );
        const byTable = new Map(entries.map((group) => [group.table, group]));
        await leftOvers('BatchGetItem', undefined, async () => {
          const result = await this.document.send(new BatchGetCommand({ RequestItems: request }));
          for (const [table, items] of Object.entries(result.Responses ?? {})) {
            const group = byTable.get(table);
            if (group) for (const item of items) group.found.set(String(item[group.keyName]), item);
          }
          request = result.UnprocessedKeys as Request | undefined;
          return request && Object.keys(request).length > 0 ? AGAIN : undefined;
        });
      }),
    );
    return reads.map((read) => groups.get(readGroupOf(read))!.found.get(read.key) ?? null);
  }

  async getLoadMarker(): Promise<LoadMarker | null> {
    const found = await this.document.send(new GetCommand({ TableName: this.tables.meta, Key: { id: LOAD_MARKER } }));
    if (!found.Item) return null;
    return { version: Number(found.Item.version ?? 0), customers: Number(found.Item.customers ?? 0), at: String(found.Item.at ?? '') };
  }

  async putLoadMarker(marker: LoadMarker): Promise<void> {
    await this.document.send(new PutCommand({ TableName: this.tables.meta, Item: { id: LOAD_MARKER, ...marker } }));
  }

  /** Customers, the identity index, events, then consent history; BULK_LOAD_WRITERS BatchWriteItem calls of 100 items in flight. */
  async bulkLoad(load: BulkLoad): Promise<void> {
    const identities = load.customers.flatMap((customer) =>
      customer.identities.map((identity) => ({ key: identityIndexKey(identity), customerId: customer.id, type: identity.type, value: identity.value })),
    );
    // As customers are stored (customerItem.ts): the body deflated.
    await this.putInParallel(this.tables.customers, load.customers.map((customer) => folding({ ...customer, version: customer.version ?? 1 }, customer.activityRevision ?? 0)));
    // Each with its activity item, so its first `track` is an update of that item.
    await this.putInParallel(
      this.tables.customerActivity,
      load.customers.map((customer) => ({ id: customer.id, [ACTIVITY.revision]: customer.activityRevision ?? 0, [ACTIVITY.floor]: customer.version ?? 1 })),
    );
    await this.putInParallel(this.tables.identities, identities);
    await this.putInParallel(this.tables.events, load.events.map((event) => ({ ...event, sk: eventSortKey(event.occurredAt, event.id) })));
    await this.putInParallel(this.tables.consentHistory, load.consentHistory.map((change) => ({ ...change, sk: `${change.at}#${change.id}` })));
  }

  private async putInParallel(table: string, items: readonly Item[]): Promise<void> {
    const chunks: Item[][] = [];
    for (let i = 0; i < items.length; i += BATCH_WRITE_LIMIT * 4) chunks.push(items.slice(i, i + BATCH_WRITE_LIMIT * 4));
    let next = 0;
    const writer = async () => {
      while (next < chunks.length) await this.batchWrite(table, chunks[next++]!);
    };
    await Promise.all(Array.from({ length: BULK_LOAD_WRITERS }, writer));
  }

  /** BatchWriteItem puts in chunks of 25, retrying unprocessed items. */
  async batchWrite(table: string, items: readonly Item[], options?: CallOptions): Promise<void> {
    await this.batchWriteRequests(table, items.map((Item) => ({ PutRequest: { Item } })), options);
  }

  async batchWriteRequests(table: string, requests: readonly WriteRequest[], options?: CallOptions): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
      await this.sendBatchWrite({ [table]: requests.slice(i, i + BATCH_WRITE_LIMIT) }, options);
    }
  }

  /** One BatchWriteItem (at most 25 requests, any tables), its unprocessed items sent again (leftOvers). */
  private async sendBatchWrite(requests: Record<string, WriteRequest[]>, options?: CallOptions): Promise<void> {
    let request: Record<string, WriteRequest[]> | undefined = requests;
    await leftOvers('BatchWriteItem', options, async () => {
      const result = await this.document.send(new BatchWriteCommand({ RequestItems: request }));
      request = result.UnprocessedItems as typeof request;
      return request && Object.keys(request).length > 0 ? AGAIN : undefined;
    });
  }
}

export { eventSortKey, identityIndexKey };


/** Attempts at a claim whose holder keeps letting go (see claiming). */
const CLAIM_ATTEMPTS = 3;

/**
 * A claim (a conditional put, then a read of the holder) starts again when
 * the holder let go in between: CLAIM_ATTEMPTS times at most, with a short
 * jittered backoff, then the call fails and the write's own bounded retry
 * (src/identity/store.ts) takes over.
 */
function claiming<T>(what: string, options: CallOptions | undefined, attempt: () => Promise<T | typeof AGAIN>): Promise<T> {
  const exhausted = () => new SourceError(SOURCE, 'unavailable', `${what} kept changing while claiming it; retry the request`);
  return boundedRetry({ attempts: CLAIM_ATTEMPTS, initialDelayMs: 2, maxDelayMs: 20, signal: options?.signal, exhausted }, attempt);
}

/**
 * BatchGetItem and BatchWriteItem hand back what DynamoDB left undone
 * (throttling, a partition over its share): sent again with jittered
 * exponential backoff, as AWS advises, BATCH_ATTEMPTS calls at most; then the
 * call fails as the source being unavailable (the guard retries reads within
 * its deadline).
 */
export const BATCH_ATTEMPTS = 8;

function leftOvers(operation: string, options: CallOptions | undefined, attempt: () => Promise<undefined | typeof AGAIN>): Promise<undefined> {
  const exhausted = () => new SourceError(SOURCE, 'unavailable', `${operation} left items unprocessed after ${BATCH_ATTEMPTS} attempts (throttled); retry the request`);
  return boundedRetry({ attempts: BATCH_ATTEMPTS, initialDelayMs: 25, maxDelayMs: 500, signal: options?.signal, exhausted }, attempt);
}

/** The item with its expiry attribute, or as it is when it is kept (no expiry). */
function withExpiry(item: Item, expiresAt: number | undefined): Item {
  return expiresAt === undefined ? item : { ...item, [EXPIRY_ATTRIBUTE]: expiresAt };
}

function oversizedAudit(): SourceError {
  return new SourceError(SOURCE, 'rejected', 'an audit item is over the 400 KB item limit');
}

/** Identity types are upper-case words, so `MATCH#…` never collides with an identifier's key. */
/** `customerId IN (...)`: the index item is still held by one of these customers. */
function heldByCondition(customerIds: readonly string[]): { condition: string; values: Record<string, string> } {
  const ids = [...new Set(customerIds)].slice(0, IN_LIMIT);
  const values = Object.fromEntries(ids.map((id, i) => [`:h${i}`, id]));
  return { condition: `#c IN (${Object.keys(values).join(', ')})`, values };
}

/**
 * What an identity index read needs: the customer holding the key. The item
 * also holds the identifier's type and value (a personal value), which such a
 * read leaves on the server instead of carrying and unmarshalling it.
 */
const INDEX_HOLDER = ['customerId'] as const;

/** A ProjectionExpression of these attributes, every name through a placeholder (`key` is a reserved word). */
function projectionOf(attributes: readonly string[]): { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> } {
  const names = Object.fromEntries(attributes.map((attribute, i) => [`#p${i}`, attribute]));
  return { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names };
}

/** The customer item holding its own activity as of activity revision `folded` (customerActivity.ts). */
function folding(record: CustomerRecord, folded: number | undefined): Item {
  const item = customerItem(record);
  return folded === undefined ? item : { ...item, [FOLDED_ATTRIBUTE]: folded };
}

/** One item for the turn's shared BatchWriteItem of trail puts (DynamoSingleView.trailWrites). */
interface TrailPut {
  readonly table: string;
  readonly item: Item;
}

/** One key of one table for the turn's shared BatchGetItem (DynamoSingleView.consistentReads, eventualReads). */
interface KeyRead {
  readonly table: string;
  readonly keyName: string;
  readonly key: string;
  /** Only these attributes (and the key) of the item; all when absent. */
  readonly projection?: readonly string[] | undefined;
}

/** The entry of a BatchGetItem a key read joins: its table, key name and projection. */
function readGroupOf(read: KeyRead): string {
  return `${read.table}\u0000${read.keyName}\u0000${read.projection?.join(',') ?? '*'}`;
}

/** A key read's identity: its group and key (two reads of the same key with different projections are different reads). */
function keyReadId(read: KeyRead): string {
  return `${readGroupOf(read)}\u0000${read.key}`;
}

/** A customer's item and its activity item (customerActivity.ts), when it has one. */
interface CustomerItems {
  readonly customer: Item;
  readonly activity?: Item;
}

/**
 * A customer item in either form (customerItem.ts) with its activity item
 * laid over it; a body that does not unpack is a malformed payload like any other.
 */
function parseCustomer(item: Item, activity?: Item): z.output<typeof customerItemSchema> | Error {
  let fields;
  try {
    fields = withActivityItem(customerFields(item), activity);
  } catch {
    return malformedPayload(SOURCE, [{ code: 'custom', path: ['body'] }]);
  }
  return parseItem(customerItemSchema, fields);
}

/** A job as stored: a finished one expires FINISHED_JOB_DAYS after it finished. */
function jobItem(job: JobRecord): Item {
  return withExpiry({ ...job }, job.status === 'DONE' && job.completedAt ? expiryOf(job.completedAt, FINISHED_JOB_DAYS) : undefined);
}

/** A suggestion as stored: with the key the status index sorts it by. */
function suggestionItem(suggestion: MergeSuggestionRecord): Item {
  return { ...suggestion, listKey: `${suggestion.createdAt}#${suggestion.id}` };
}
