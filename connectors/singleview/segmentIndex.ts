import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { SegmentMembershipRecord } from '../../src/domain/index.js';

/**
 * The segment index (docs/segments.md): items of one table, `segment_index`,
 * keyed `pk` + `sk`, of five kinds:
 * - member: `member#<segment>#<shard>` / customer id — a segment's members,
 *   spread over SEGMENT_INDEX_SHARDS partitions so a 20-million-member
 *   segment has no hot key, listed in customer id order across them;
 * - due: `due#<hour>#<shard>` / `<dueAt>#<customer id>` — customers whose
 *   memberships change at a known time, in hour buckets, sharded;
 * - state: `customer#<id>` / `state` — what the index holds for a customer
 *   (its memberships and due time, and the customer version they came from),
 *   so the worker writes only differences;
 * - outbox: `outbox#<shard>` / customer id — the change feed where DynamoDB
 *   Streams are not available: a customer whose index must be reconciled;
 * - job: `job#<id>` / `job` — a backfill's progress, the due run's watermark.
 */
export const SEGMENT_INDEX_SHARDS = 16;

export function segmentIndexShard(customerId: string, shards = SEGMENT_INDEX_SHARDS): number {
  return createHash('sha1').update(customerId).digest().readUInt32BE(0) % shards;
}

export const memberKey = (segmentId: string, customerId: string) => ({ pk: `member#${segmentId}#${segmentIndexShard(customerId)}`, sk: customerId });
export const memberPartition = (segmentId: string, shard: number) => `member#${segmentId}#${shard}`;

/** The hour bucket of a due time: `2026-11-15T12`. */
export function dueBucket(at: string): string {
  return at.slice(0, 13);
}
export const duePartition = (bucket: string, shard: number) => `due#${bucket}#${shard}`;
export const dueKey = (due: SegmentDueRecord) => ({ pk: duePartition(dueBucket(due.bucketAt ?? due.dueAt), segmentIndexShard(due.customerId)), sk: `${due.dueAt}#${due.customerId}` });
export const stateKey = (customerId: string) => ({ pk: `customer#${customerId}`, sk: 'state' });
export const outboxPartition = (shard: number) => `outbox#${shard}`;
export const outboxKey = (customerId: string) => ({ pk: outboxPartition(segmentIndexShard(customerId)), sk: customerId });
export const jobKey = (id: string) => ({ pk: `job#${id}`, sk: 'job' });

/** A customer whose index entries must be reconciled with its current record: written before the customer write it announces. */
export interface SegmentChangeEntry {
  readonly customerId: string;
  /** Random per entry: the worker deletes the entry only if no newer one replaced it meanwhile. */
  readonly seq: string;
  /** The customer version the announced write stores. */
  readonly version: number;
  /** For a `track` (an update of the customer's activity alone): the activity revision it stores. */
  readonly rev?: number | undefined;
  readonly at: string;
}

/**
 * What the index may hold for one customer: its member items and due items.
 * The worker writes it before changing items (the union of before and after)
 * and after (what it wrote), so a worker that dies in between leaves a
 * superset the next one cleans up.
 */
export interface SegmentIndexState {
  readonly customerId: string;
  /** The customer version the items were written from. */
  readonly version: number;
  readonly segments: readonly SegmentMembershipRecord[];
  readonly due: readonly SegmentDueRecord[];
}

export interface SegmentMemberRecord {
  readonly segmentId: string;
  readonly customerId: string;
  readonly since: string;
}

export interface SegmentDueRecord {
  readonly customerId: string;
  readonly dueAt: string;
  /** Which hour bucket holds it when that is not dueAt's own (a due time already past when written). */
  readonly bucketAt?: string | null | undefined;
}

/** One batch of index writes: puts replace, deletes of a missing item do nothing. */
export interface SegmentIndexWrite {
  readonly putMembers?: readonly SegmentMemberRecord[];
  readonly deleteMembers?: ReadonlyArray<Pick<SegmentMemberRecord, 'segmentId' | 'customerId'>>;
  readonly putDue?: readonly SegmentDueRecord[];
  readonly deleteDue?: readonly SegmentDueRecord[];
  /** Replaces each customer's state item as it is, without the version check of putSegmentIndexState: for a load into an empty index only. */
  readonly putStates?: readonly SegmentIndexState[];
}

export interface SegmentMemberPage {
  readonly members: readonly SegmentMemberRecord[];
  readonly hasNextPage: boolean;
}

/** A job's state as stored: an opaque JSON body (the job layer validates it) and a revision for conditional replaces. */
export interface SegmentJobRecord {
  readonly id: string;
  readonly revision: number;
  readonly body: string;
}

const membership = z.object({ segmentId: z.string(), since: z.string() });
export const segmentChangeItemSchema = z.object({ customerId: z.string(), seq: z.string(), version: z.number().int(), rev: z.number().int().optional(), at: z.string() });
export const segmentMemberItemSchema = z.object({ segmentId: z.string(), customerId: z.string(), since: z.string() });
export const segmentDueItemSchema = z.object({ customerId: z.string(), dueAt: z.string(), bucketAt: z.string().nullish() });
export const segmentStateItemSchema = z.object({
  customerId: z.string(),
  version: z.number().int(),
  segments: z.array(membership).default([]),
  due: z.array(segmentDueItemSchema).default([]),
});
export const segmentJobItemSchema = z.object({ id: z.string(), revision: z.number().int(), body: z.string() });
