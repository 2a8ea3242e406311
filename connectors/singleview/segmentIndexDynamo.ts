import { DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import DataLoader from 'dataloader';
import type { ItemClient } from './itemClient.js';
import type { CustomerRecord, CustomerScanPage } from '../../src/domain/index.js';
import type { CallOptions } from '../resilience/callOptions.js';
import type { SegmentIndexPort, WriteOutcome } from './port.js';
import { parseOrThrow } from './schemas.js';
import {
  SEGMENT_INDEX_SHARDS,
  dueKey,
  duePartition,
  jobKey,
  memberKey,
  memberPartition,
  outboxKey,
  outboxPartition,
  segmentChangeItemSchema,
  segmentDueItemSchema,
  segmentJobItemSchema,
  segmentMemberItemSchema,
  segmentStateItemSchema,
  stateKey,
} from './segmentIndex.js';
import type { SegmentChangeEntry, SegmentDueRecord, SegmentIndexState, SegmentIndexWrite, SegmentJobRecord, SegmentMemberPage, SegmentMemberRecord } from './segmentIndex.js';

type Item = Record<string, NativeAttributeValue>;

/** Outbox entries per call: DynamoDB's BatchWriteItem limit. */
const OUTBOX_PER_CALL = 25;
export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

/**
 * The segment index on DynamoDB (SegmentIndexPort): one table keyed pk + sk
 * (segmentIndex.ts). The single view's adapter hands its calls here.
 */
export class DynamoSegmentIndex implements SegmentIndexPort {
  constructor(
    private readonly document: ItemClient,
    /** The single view's BatchWriteItem, leftovers sent again a bounded number of times (dynamodb.ts). */
    private readonly batchWrite: (table: string, requests: readonly WriteRequest[], options?: CallOptions) => Promise<void>,
    private readonly table: string,
    private readonly customersTable: string,
    /** Customer items as records, with their activity items (one BatchGetItem per page). */
    private readonly parseCustomers: (items: readonly Item[], options?: CallOptions) => Promise<CustomerRecord[]>,
  ) {
    this.outbox = new DataLoader((entries) => this.putOutboxEntries(entries), { cache: false, maxBatchSize: OUTBOX_PER_CALL, batchScheduleFn: (dispatch) => setImmediate(dispatch) });
  }

  /**
   * Outbox entries asked for in the same turn go out together: one PutItem
   * for one, one BatchWriteItem for several (an erasure announces each of
   * the customers it deletes).
   */
  private readonly outbox: DataLoader<SegmentChangeEntry, void>;

  putSegmentChange(entry: SegmentChangeEntry, _options?: CallOptions): Promise<void> {
    return this.outbox.load(entry);
  }

  private async putOutboxEntries(entries: readonly SegmentChangeEntry[]): Promise<void[]> {
    // One entry per customer (its outbox key): the last asked for stands, as a later PutItem would.
    const items = [...new Map(entries.map((entry) => [entry.customerId, { ...outboxKey(entry.customerId), ...entry }])).values()];
    if (items.length === 1) await this.document.send(new PutCommand({ TableName: this.table, Item: items[0] }));
    else await this.batchWrite(this.table, items.map((Item) => ({ PutRequest: { Item } })));
    return entries.map(() => undefined);
  }

  async listSegmentChanges(shard: number, limit: number, options?: CallOptions): Promise<SegmentChangeEntry[]> {
    const items = await this.query(outboxPartition(shard), undefined, limit, options);
    return items.map((item) => parseOrThrow(segmentChangeItemSchema, item));
  }

  deleteSegmentChange(customerId: string, seq: string, options?: CallOptions): Promise<WriteOutcome> {
    return this.conditional(
      new DeleteCommand({ TableName: this.table, Key: outboxKey(customerId), ConditionExpression: '#s = :s', ExpressionAttributeNames: { '#s': 'seq' }, ExpressionAttributeValues: { ':s': seq } }),
      options,
    );
  }

  async getSegmentIndexState(customerId: string, _options?: CallOptions): Promise<SegmentIndexState | null> {
    const found = await this.document.send(new GetCommand({ TableName: this.table, Key: stateKey(customerId), ConsistentRead: true }));
    return found.Item ? parseOrThrow(segmentStateItemSchema, found.Item) : null;
  }

  putSegmentIndexState(state: SegmentIndexState, options?: CallOptions): Promise<WriteOutcome> {
    return this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: { ...stateKey(state.customerId), ...state },
        ConditionExpression: 'attribute_not_exists(pk) OR version <= :v',
        ExpressionAttributeValues: { ':v': state.version },
      }),
      options,
    );
  }

  async deleteSegmentIndexState(customerId: string, _options?: CallOptions): Promise<void> {
    await this.document.send(new DeleteCommand({ TableName: this.table, Key: stateKey(customerId) }));
  }

  async writeSegmentIndex(write: SegmentIndexWrite, options?: CallOptions): Promise<void> {
    const requests: WriteRequest[] = [
      ...(write.deleteMembers ?? []).map((m) => ({ DeleteRequest: { Key: memberKey(m.segmentId, m.customerId) } })),
      ...(write.deleteDue ?? []).map((d) => ({ DeleteRequest: { Key: dueKey(d) } })),
      ...(write.putMembers ?? []).map((m) => ({ PutRequest: { Item: { ...memberKey(m.segmentId, m.customerId), ...m } } })),
      ...(write.putDue ?? []).map((d) => ({ PutRequest: { Item: { ...dueKey(d), ...d } } })),
      ...(write.putStates ?? []).map((state) => ({ PutRequest: { Item: { ...stateKey(state.customerId), ...state } } })),
    ];
    await this.batchWrite(this.table, requests, options);
  }

  /** One Query per shard at once, each from after `after`, merged in customer id order. */
  async listSegmentMembers(segmentId: string, first: number, after?: string, options?: CallOptions): Promise<SegmentMemberPage> {
    const shards = await Promise.all(
      Array.from({ length: SEGMENT_INDEX_SHARDS }, (_, shard) => this.query(memberPartition(segmentId, shard), after === undefined ? undefined : { op: '>', value: after }, first + 1, options)),
    );
    const members: SegmentMemberRecord[] = shards
      .flat()
      .map((item) => parseOrThrow(segmentMemberItemSchema, item))
      .sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
    return { members: members.slice(0, first), hasNextPage: members.length > first };
  }

  async listDueCustomers(bucket: string, shard: number, until: string, limit: number, options?: CallOptions): Promise<SegmentDueRecord[]> {
    const items = await this.query(duePartition(bucket, shard), { op: '<=', value: `${until}#\uffff` }, limit, options);
    return items.map((item) => parseOrThrow(segmentDueItemSchema, item));
  }

  async getSegmentJob(id: string, _options?: CallOptions): Promise<SegmentJobRecord | null> {
    const found = await this.document.send(new GetCommand({ TableName: this.table, Key: jobKey(id), ConsistentRead: true }));
    return found.Item ? parseOrThrow(segmentJobItemSchema, found.Item) : null;
  }

  putSegmentJob(job: SegmentJobRecord, expectedRevision: number | null, options?: CallOptions): Promise<WriteOutcome> {
    return this.conditional(
      new PutCommand({
        TableName: this.table,
        Item: { ...jobKey(job.id), ...job },
        ...(expectedRevision === null
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'revision = :r', ExpressionAttributeValues: { ':r': expectedRevision } }),
      }),
      options,
    );
  }

  async scanCustomerSegment(segment: number, totalSegments: number, limit: number, after?: string, options?: CallOptions): Promise<CustomerScanPage> {
    const page = await this.document.send(
      new ScanCommand({ TableName: this.customersTable, Segment: segment, TotalSegments: totalSegments, Limit: limit, ExclusiveStartKey: after ? { id: after } : undefined }),
    );
    const next = page.LastEvaluatedKey?.id;
    return { customers: await this.parseCustomers(page.Items ?? [], options), next: typeof next === 'string' ? next : undefined };
  }

  /** Items of one partition in sort key order, optionally bounded, reading pages until `limit` items or the end. */
  private async query(pk: string, bound: { op: '>' | '<='; value: string } | undefined, limit: number, _options?: CallOptions): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.document.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: bound ? `pk = :pk AND sk ${bound.op} :sk` : 'pk = :pk',
          ExpressionAttributeValues: bound ? { ':pk': pk, ':sk': bound.value } : { ':pk': pk },
          Limit: limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start && items.length < limit);
    return items;
  }

  private async conditional(command: PutCommand | DeleteCommand, _options?: CallOptions): Promise<WriteOutcome> {
    try {
      await this.document.send(command as PutCommand);
      return 'written';
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return 'conflict';
      throw error;
    }
  }
}
