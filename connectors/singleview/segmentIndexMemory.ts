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
  segmentIndexShard,
  segmentJobItemSchema,
  segmentMemberItemSchema,
  segmentStateItemSchema,
  stateKey,
} from './segmentIndex.js';
import type { SegmentChangeEntry, SegmentDueRecord, SegmentIndexState, SegmentIndexWrite, SegmentJobRecord, SegmentMemberPage } from './segmentIndex.js';

type Item = Record<string, unknown>;

/**
 * The segment index in process memory, for the memory single view: the
 * DynamoDB adapter's items and conditions (segmentIndexDynamo.ts), each
 * call one synchronous step.
 */
export class MemorySegmentIndex implements SegmentIndexPort {
  /** Items by partition key, then sort key. */
  private readonly partitions = new Map<string, Map<string, Item>>();

  constructor(private readonly customerIds: () => readonly string[], private readonly customer: (id: string) => CustomerRecord) {}

  async putSegmentChange(entry: SegmentChangeEntry, _options?: CallOptions): Promise<void> {
    this.put(outboxKey(entry.customerId), { ...entry });
  }

  async listSegmentChanges(shard: number, limit: number, _options?: CallOptions): Promise<SegmentChangeEntry[]> {
    return this.query(outboxPartition(shard), () => true, limit).map((item) => parseOrThrow(segmentChangeItemSchema, item));
  }

  async deleteSegmentChange(customerId: string, seq: string, _options?: CallOptions): Promise<WriteOutcome> {
    const key = outboxKey(customerId);
    if (this.get(key)?.seq !== seq) return 'conflict';
    this.delete(key);
    return 'written';
  }

  async getSegmentIndexState(customerId: string, _options?: CallOptions): Promise<SegmentIndexState | null> {
    const item = this.get(stateKey(customerId));
    return item ? parseOrThrow(segmentStateItemSchema, item) : null;
  }

  async putSegmentIndexState(state: SegmentIndexState, _options?: CallOptions): Promise<WriteOutcome> {
    const stored = this.get(stateKey(state.customerId));
    if (stored && Number(stored.version) > state.version) return 'conflict';
    this.put(stateKey(state.customerId), { ...state });
    return 'written';
  }

  async deleteSegmentIndexState(customerId: string, _options?: CallOptions): Promise<void> {
    this.delete(stateKey(customerId));
  }

  async writeSegmentIndex(write: SegmentIndexWrite, _options?: CallOptions): Promise<void> {
    for (const m of write.deleteMembers ?? []) this.delete(memberKey(m.segmentId, m.customerId));
    for (const d of write.deleteDue ?? []) this.delete(dueKey(d));
    for (const m of write.putMembers ?? []) this.put(memberKey(m.segmentId, m.customerId), { ...m });
    for (const d of write.putDue ?? []) this.put(dueKey(d), { ...d });
    for (const state of write.putStates ?? []) this.put(stateKey(state.customerId), { ...state });
  }

  async listSegmentMembers(segmentId: string, first: number, after?: string, _options?: CallOptions): Promise<SegmentMemberPage> {
    const members = Array.from({ length: SEGMENT_INDEX_SHARDS }, (_, shard) => this.query(memberPartition(segmentId, shard), (sk) => after === undefined || sk > after, first + 1))
      .flat()
      .map((item) => parseOrThrow(segmentMemberItemSchema, item))
      .sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
    return { members: members.slice(0, first), hasNextPage: members.length > first };
  }

  async listDueCustomers(bucket: string, shard: number, until: string, limit: number, _options?: CallOptions): Promise<SegmentDueRecord[]> {
    const bound = `${until}#\uffff`;
    return this.query(duePartition(bucket, shard), (sk) => sk <= bound, limit).map((item) => parseOrThrow(segmentDueItemSchema, item));
  }

  async getSegmentJob(id: string, _options?: CallOptions): Promise<SegmentJobRecord | null> {
    const item = this.get(jobKey(id));
    return item ? parseOrThrow(segmentJobItemSchema, item) : null;
  }

  async putSegmentJob(job: SegmentJobRecord, expectedRevision: number | null, _options?: CallOptions): Promise<WriteOutcome> {
    const stored = this.get(jobKey(job.id));
    if (expectedRevision === null ? stored !== undefined : Number(stored?.revision) !== expectedRevision || stored === undefined) return 'conflict';
    this.put(jobKey(job.id), { ...job });
    return 'written';
  }

  /** Part `segment` of `totalSegments`: the customers whose id hashes there, in id order. */
  async scanCustomerSegment(segment: number, totalSegments: number, limit: number, after?: string, _options?: CallOptions): Promise<CustomerScanPage> {
    const ids = [...this.customerIds()].filter((id) => segmentIndexShard(id, totalSegments) === segment && (after === undefined || id > after)).sort();
    const page = ids.slice(0, limit);
    return { customers: page.map((id) => this.customer(id)), next: ids.length > page.length ? page.at(-1) : undefined };
  }

  private get(key: { pk: string; sk: string }): Item | undefined {
    return this.partitions.get(key.pk)?.get(key.sk);
  }

  private put(key: { pk: string; sk: string }, item: Item): void {
    let partition = this.partitions.get(key.pk);
    if (!partition) this.partitions.set(key.pk, (partition = new Map()));
    partition.set(key.sk, structuredClone({ ...key, ...item }));
  }

  private delete(key: { pk: string; sk: string }): void {
    this.partitions.get(key.pk)?.delete(key.sk);
  }

  private query(pk: string, keep: (sk: string) => boolean, limit: number): Item[] {
    const partition = this.partitions.get(pk);
    if (!partition) return [];
    return [...partition.keys()]
      .filter(keep)
      .sort()
      .slice(0, limit)
      .map((sk) => structuredClone(partition.get(sk)!));
  }
}
