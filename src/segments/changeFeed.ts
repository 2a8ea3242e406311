import { createHash, randomUUID } from 'node:crypto';
import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import type { SegmentIndexPort, SingleViewPort } from '../../connectors/singleview/port.js';
import { SEGMENT_INDEX_SHARDS, dueBucket } from '../../connectors/singleview/segmentIndex.js';
import type { SegmentChangeEntry, SegmentDueRecord, SegmentIndexState, SegmentJobRecord, SegmentMemberRecord } from '../../connectors/singleview/segmentIndex.js';
import type { CustomerRecord, SegmentIndexMark, SegmentMembershipRecord } from '../domain/index.js';
import type { Clock } from '../identity/clock.js';
import type { SegmentCatalog } from './catalog.js';
import type { SegmentSpec } from './definitions.js';
import { nextMembershipChange } from './due.js';

/**
 * The change feed that keeps the segment index (members per segment,
 * customers by due time) in step with customer writes (docs/segments.md).
 *
 * In production DynamoDB Streams on the customers table can drive
 * `reconcileSegmentIndex`; dynalite has no streams, so the gateway writes an
 * outbox entry (the customer id) BEFORE a customer write that changes what
 * the index must hold, and `drainSegmentChanges` reconciles each announced
 * customer from its CURRENT record. Without transactions this is crash-safe
 * either way round: a write that fails after its entry leaves an entry that
 * reconciles nothing, and an entry is deleted only after the index matches
 * the record it read.
 */

/** How long an entry whose write has not landed yet is left alone: the write's deadline has passed by then, so it landed or never will. */
export const SEGMENT_CHANGE_GRACE_MS = 30_000;
/** The due run's position (`job#due-watermark`): the earliest hour bucket that may still hold due items. */
export const DUE_WATERMARK_JOB = 'due-watermark';

/** What the index should hold for a customer as written: nothing for a merged-away customer. */
function indexable(record: CustomerRecord): boolean {
  return !record.mergedInto;
}

/**
 * What the index holds for a record, as one short key: its memberships and
 * the ids it absorbed. The absorbed ids are in it so that a merge always
 * announces its survivor, whose reconcile also clears the absorbed ids'
 * entries (a merged-away customer announces nothing itself: one outbox
 * write per merge, not one per customer).
 */
function membershipKey(segments: readonly SegmentMembershipRecord[], aliases: readonly string[] = []): string {
  if (segments.length === 0 && aliases.length === 0) return '';
  const text = segments
    .map((m) => `${m.segmentId}@${m.since}`)
    .sort()
    .join(',');
  const absorbed = aliases.length === 0 ? '' : `|${[...aliases].sort().join(',')}`;
  return createHash('sha1').update(text + absorbed).digest('hex').slice(0, 16);
}

/** The record's mark as it would be announced now: its memberships' key and its due time. */
export function segmentIndexMark(record: CustomerRecord, specs: readonly SegmentSpec[], now: Date): SegmentIndexMark {
  if (!indexable(record)) return { key: '', dueAt: null };
  const due = nextMembershipChange(specs, { traits: record.traits, consents: record.consents, lastEventAt: record.lastEventAt ?? {} }, now);
  return { key: membershipKey(record.segments, record.aliases), dueAt: due?.toISOString() ?? null };
}

/** A due time as the index stores it: one already past goes into the current hour's bucket, so no bucket the due run has finished ever gets an item again. */
function dueRecord(customerId: string, dueAt: string | null, nowIso: string): SegmentDueRecord[] {
  return dueAt ? [{ customerId, dueAt, ...(dueAt < nowIso ? { bucketAt: nowIso } : {}) }] : [];
}

/**
 * Everything the index holds for a customer that it has never held anything
 * for: the record with its mark, its member items, its due item and its state
 * item (what reconcileSegmentIndex would write from an empty index).
 */
export function indexEntriesOf(record: CustomerRecord, specs: readonly SegmentSpec[], now: Date): { record: CustomerRecord; members: SegmentMemberRecord[]; due: SegmentDueRecord[]; state: SegmentIndexState } {
  const mark = segmentIndexMark(record, specs, now);
  const segments = indexable(record) ? record.segments : [];
  const due = dueRecord(record.id, mark.dueAt ?? null, now.toISOString());
  return {
    record: { ...record, segmentIndex: mark },
    members: segments.map((m) => ({ ...m, customerId: record.id })),
    due,
    state: { customerId: record.id, version: record.version ?? 0, segments, due },
  };
}

/** The due run's watermark as ensureDueWatermark first sets it: the current hour. */
export function dueWatermarkJob(now: Date): SegmentJobRecord {
  return { id: DUE_WATERMARK_JOB, revision: 1, body: JSON.stringify({ from: dueBucket(now.toISOString()) }) };
}

/** The version an outbox entry announcing a delete carries. */
const DELETED = Number.MAX_SAFE_INTEGER;

const NOTHING: SegmentIndexMark = { key: '', dueAt: null };

/** A mark no record's own mark equals: a writer that sets it makes its write announce the customer (the due run, a backfill). */
export const STALE_MARK: SegmentIndexMark = { key: '!', dueAt: null };

/**
 * THE hook, called before every customer write (withSegmentChangeFeed wires
 * it under createCustomer, both replaces and updateCustomerActivity; a write path that stores
 * customers otherwise calls it itself, once, before its write). It answers
 * the record to write: when the memberships differ from what the index was
 * last asked to hold, or the due time moved earlier, it first writes an
 * outbox entry, then stamps the new mark on the record. A due time that moved
 * later is left as it was (the due run finds the customer early, sees no
 * change, and reschedules), so a `track` that only extends a window costs no
 * index write.
 */
export async function announceSegmentChange(
  port: Pick<SegmentIndexPort, 'putSegmentChange'>,
  record: CustomerRecord,
  specs: readonly SegmentSpec[],
  now: Date,
  options?: CallOptions,
): Promise<CustomerRecord> {
  const before = record.segmentIndex ?? NOTHING;
  // Absorbed by a merge: the survivor's announcement (its key names this id) clears this customer's entries.
  if (!indexable(record)) return before.key === '' && before.dueAt === null ? record : { ...record, segmentIndex: NOTHING };
  const mark = segmentIndexMark(record, specs, now);
  const earlier = mark.dueAt && (!before.dueAt || mark.dueAt < before.dueAt);
  if (mark.key === before.key && !earlier) return record;
  const revision = record.activityRevision === undefined ? {} : { rev: record.activityRevision };
  await port.putSegmentChange({ customerId: record.id, seq: randomUUID(), version: record.version ?? 0, ...revision, at: now.toISOString() }, options);
  return { ...record, segmentIndex: mark };
}

/** Records the change feed stamped a new mark on, by the record the caller handed in: asWritten gives what was stored. */
const stamped = new WeakMap<CustomerRecord, CustomerRecord>();

/**
 * The record as the change feed stored it (with its new mark), for a caller
 * that keeps the record it wrote (the write cache, WriteStore): without it
 * the next write from that copy would announce the same change again.
 */
export function asWritten(record: CustomerRecord): CustomerRecord {
  return stamped.get(record) ?? record;
}

/** The port with announceSegmentChange under every customer create, replace and activity update (a `track`), and an entry before every delete. */
export function withSegmentChangeFeed<P extends SingleViewPort>(
  port: P,
  deps: { readonly segments: SegmentCatalog; readonly clock: Clock; /** Told after each outbox entry this port writes (the worker's wake()). */ readonly onAnnounce?: () => void },
): P {
  const specs = () => deps.segments.all();
  const announce = async (record: CustomerRecord, options?: CallOptions) => {
    const announced = await announceSegmentChange(port, record, specs(), deps.clock(), options);
    if (announced !== record) {
      stamped.set(record, announced);
      deps.onAnnounce?.();
    }
    return announced;
  };
  const createCustomer: SingleViewPort['createCustomer'] = async (record, options) => port.createCustomer(await announce(record, options), options);
  const replaceCustomer: SingleViewPort['replaceCustomer'] = async (record, expectedVersion, options) =>
    port.replaceCustomer(await announce(record, options), expectedVersion, options);
  const replaceCustomerKeepingActivity: SingleViewPort['replaceCustomerKeepingActivity'] = async (record, expectedVersion, options) =>
    port.replaceCustomerKeepingActivity(await announce(record, options), expectedVersion, options);
  // A `track` writes the activity alone, carrying the revision it stores: the entry names version and revision.
  const updateCustomerActivity: SingleViewPort['updateCustomerActivity'] = async (record, expected, options) =>
    port.updateCustomerActivity(await announce(record, options), expected, options);
  const deleteCustomers: SingleViewPort['deleteCustomers'] = async (ids, options) => {
    const at = deps.clock().toISOString();
    // Deleted customers leave the index: the worker finds them gone and removes their entries.
    await Promise.all([...new Set(ids)].map((customerId) => port.putSegmentChange({ customerId, seq: randomUUID(), version: DELETED, at }, options)));
    deps.onAnnounce?.();
    return port.deleteCustomers(ids, options);
  };
  const overrides: Partial<SingleViewPort> = { createCustomer, replaceCustomer, replaceCustomerKeepingActivity, updateCustomerActivity, deleteCustomers };
  // Each method bound once, not on every access: every read through the single view passes here.
  const bound = new WeakMap<(...args: unknown[]) => unknown, (...args: unknown[]) => unknown>();
  return new Proxy(port, {
    get(target, property, receiver) {
      if (typeof property === 'string' && property in overrides) return overrides[property as keyof SingleViewPort];
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      let bind = bound.get(method);
      if (!bind) bound.set(method, (bind = method.bind(target)));
      return bind;
    },
  });
}

export interface ReconcileOutcome {
  /** Member and due items put or deleted. */
  readonly writes: number;
}

/**
 * Makes the index hold what the customer's current record says: its
 * memberships as member items, its due time (the record's mark) as one due
 * item, and a state item naming both, written last. Idempotent: run again
 * from any point (a crash half-way) it converges.
 */
export async function reconcileSegmentIndex(
  port: SingleViewPort,
  customerId: string,
  deps: { readonly specs: readonly SegmentSpec[]; readonly now: Date },
  options?: CallOptions,
): Promise<ReconcileOutcome> {
  const [found] = await port.getCustomers([customerId], { ...options, consistent: true });
  if (found instanceof Error) throw found;
  const customer = found ?? null;
  const state = await port.getSegmentIndexState(customerId, options);
  const held: readonly SegmentMembershipRecord[] = state?.segments ?? [];
  const wanted: readonly SegmentMembershipRecord[] = customer && indexable(customer) ? customer.segments : [];
  const mark = customer && indexable(customer) ? (customer.segmentIndex ?? segmentIndexMark(customer, deps.specs, deps.now)) : NOTHING;
  const heldBy = new Map(held.map((m) => [m.segmentId, m.since]));
  const wantedBy = new Map(wanted.map((m) => [m.segmentId, m.since]));
  const putMembers: SegmentMemberRecord[] = wanted.filter((m) => heldBy.get(m.segmentId) !== m.since).map((m) => ({ ...m, customerId }));
  const deleteMembers = held.filter((m) => !wantedBy.has(m.segmentId)).map((m) => ({ segmentId: m.segmentId, customerId }));
  const nowIso = deps.now.toISOString();
  const dueAt = mark.dueAt ?? null;
  const heldDue = state?.due ?? [];
  const kept = heldDue.find((d) => d.dueAt === dueAt);
  const due: SegmentDueRecord[] = kept ? [kept] : dueRecord(customerId, dueAt, nowIso);
  const putDue = kept ? [] : due;
  const deleteDue = heldDue.filter((d) => d !== kept);
  const writes = putMembers.length + deleteMembers.length + putDue.length + deleteDue.length;
  const version = customer?.version ?? 0;
  if (writes > 0) {
    if (putDue.length > 0) await ensureDueWatermark(port, deps.now, options);
    // First what the index may hold once the writes below land, whichever of them do: a worker that dies
    // half-way leaves this superset, and the next reconcile deletes what the record does not want.
    const mayHold: SegmentIndexState = {
      customerId,
      version: state?.version ?? 0,
      segments: [...held.filter((m) => !wantedBy.has(m.segmentId)), ...wanted],
      due: [...heldDue, ...putDue],
    };
    await port.putSegmentIndexState(mayHold, options);
    await port.writeSegmentIndex({ putMembers, deleteMembers, putDue, deleteDue }, options);
  }
  if (!customer) {
    if (state) await port.deleteSegmentIndexState(customerId, options);
    return { writes };
  }
  if (writes > 0 || !state || state.version !== version) await port.putSegmentIndexState({ customerId, version, segments: wanted, due }, options);
  let absorbedWrites = 0;
  // The ids this customer absorbed announce nothing when merged away (announceSegmentChange): their entries are cleared here.
  for (const alias of customer.aliases ?? []) {
    // An id the index holds nothing for needs no reconcile (and no state item written for it).
    if (alias === customerId || !(await port.getSegmentIndexState(alias, options))) continue;
    absorbedWrites += (await reconcileSegmentIndex(port, alias, deps, options)).writes;
  }
  return { writes: writes + absorbedWrites };
}

/** Ports whose due watermark is known to exist. */
const watermarked = new WeakSet<object>();

/**
 * The due run starts from its watermark; before the first due item is ever
 * written, the watermark is set to the current hour, so no due item can sit
 * in a bucket before it.
 */
async function ensureDueWatermark(port: SingleViewPort, now: Date, options?: CallOptions): Promise<void> {
  if (watermarked.has(port)) return;
  if (!(await port.getSegmentJob(DUE_WATERMARK_JOB, options))) await port.putSegmentJob(dueWatermarkJob(now), null, options);
  watermarked.add(port);
}

export interface DrainOutcome {
  /** Customers reconciled (their entries deleted). */
  readonly reconciled: number;
  /** Entries left for later: their write has not landed yet and is within its grace. */
  readonly waiting: number;
  readonly writes: number;
}

/**
 * The outbox worker: reconciles every announced customer, shard by shard,
 * and deletes each entry unless a newer one replaced it meanwhile. An entry
 * whose customer write has not landed yet waits SEGMENT_CHANGE_GRACE_MS
 * (the write may still be on the wire); after that it is reconciled from
 * whatever is stored, which is a no-op for a write that failed.
 */
export async function drainSegmentChanges(
  port: SingleViewPort,
  deps: {
    readonly segments: SegmentCatalog;
    readonly clock: Clock;
    readonly pageSize?: number;
    readonly options?: CallOptions;
    readonly shouldStop?: () => boolean;
    /** Customers reconciled at once (SEGMENT_WORKER_PARALLELISM unless given). */
    readonly parallelism?: number;
  },
): Promise<DrainOutcome> {
  let reconciled = 0;
  let waiting = 0;
  let writes = 0;
  for (let shard = 0; shard < SEGMENT_INDEX_SHARDS; shard += 1) {
    let skipped = new Set<string>();
    for (;;) {
      if (deps.shouldStop?.()) return { reconciled, waiting, writes };
      const entries = (await port.listSegmentChanges(shard, (deps.pageSize ?? 100) + skipped.size, deps.options)).filter((e) => !skipped.has(e.customerId));
      if (entries.length === 0) break;
      // One entry per customer: a page's customers are reconciled at once, `parallelism` at a time.
      for (const chunk of chunks(entries, deps.parallelism ?? SEGMENT_WORKER_PARALLELISM)) {
        await Promise.all(
          chunk.map(async (entry) => {
            const now = deps.clock();
            const [customer] = await port.getCustomers([entry.customerId], { ...deps.options, consistent: true });
            if (customer instanceof Error) throw customer;
            // A delete announces DELETED (landed once the customer is gone); a create or replace its version, a `track` its version and the activity revision it stores.
            const landed = customer ? hasLanded(customer, entry) : entry.version === DELETED;
            if (!landed && now.getTime() - Date.parse(entry.at) < SEGMENT_CHANGE_GRACE_MS) {
              skipped = new Set([...skipped, entry.customerId]);
              waiting += 1;
              return;
            }
            const outcome = await reconcileSegmentIndex(port, entry.customerId, { specs: deps.segments.all(), now }, deps.options);
            writes += outcome.writes;
            // A newer entry (a write after our read) stays for the next round.
            if ((await port.deleteSegmentChange(entry.customerId, entry.seq, deps.options)) === 'written') reconciled += 1;
          }),
        );
      }
    }
  }
  return { reconciled, waiting, writes };
}

/** Whether the customer as stored is at or past the write an entry announced. */
function hasLanded(customer: CustomerRecord, entry: SegmentChangeEntry): boolean {
  const version = customer.version ?? 0;
  if (version !== entry.version) return version > entry.version;
  return entry.rev === undefined || (customer.activityRevision ?? 0) >= entry.rev;
}

/** The hour bucket due items of `at` go into. */
export { dueBucket };

/** Customers a worker reconciles or evaluates at once: the calls of one are sequential, so this is what hides their latency. */
export const SEGMENT_WORKER_PARALLELISM = 16;

/**
 * Customers the gateway's own worker reconciles at once on the embedded
 * default, whose dynalite answers on the same two cores as the requests:
 * there a call has no network latency to hide, and 16 reconciles at once
 * (five calls each) queued ahead of the requests' calls every round, which
 * set `track`'s p99 at 64 connections (bench/README.md, issue 19).
 */
export const EMBEDDED_CHANGE_PARALLELISM = 4;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
