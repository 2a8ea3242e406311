import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { CustomerRecord } from '../../src/domain/index.js';
import { identityIndexKey } from '../../src/domain/index.js';

/**
 * A customer's activity: what a `track` changes on it — traits, the latest
 * time per event type, the facts per identifier the events arrived through,
 * when each identifier was last seen, the real-time segment memberships and
 * the segment index mark, and the write token of the change. On DynamoDB it
 * lives in a small item of its own (`customer_activity`, one per customer)
 * beside the customer item, so a `track` is one conditional UpdateItem of
 * a few hundred bytes, not a PutItem of the whole customer
 * (docs/architecture.md, "A customer's activity"):
 *
 * - the activity item applies when its revision is newer than the one the
 *   customer item holds (`folded`): a write of the whole customer (a merge,
 *   a consent change, a segment evaluation, an unmerge) stores the activity
 *   it read inside the customer item, with its revision;
 * - a write of the whole customer that leaves the activity (and the merge
 *   and split markers a `track` reads) as it read them — a merge's
 *   bookkeeping, a profile change — is one conditional PutItem: a `track`
 *   that lands meanwhile stays newer than what it folded and still applies
 *   (replaceCustomerKeepingActivity);
 * - a `track` updates the activity item if its revision is the one read and
 *   its `floor` is the version read (no write of the whole customer is in
 *   progress or happened since): one UpdateItem, no read first when the
 *   customer is in the gateway's write cache;
 * - a write of the whole customer first raises the activity item's `floor`
 *   to the version it is about to store and its revision by one
 *   (conditional on the revision it read), then puts the customer item: a
 *   `track` based on an older version or revision can no longer land, and
 *   one that landed before the floor was raised made the whole write's
 *   condition fail, so it reads again. A floor whose writer never stored its
 *   version (a crash between the two calls) holds `track`s back (they fall
 *   back to a write of the whole customer after a few conflicts) and is void
 *   for writes of the whole customer after FENCE_STALE_MS.
 */
export interface CustomerActivity {
  readonly traits: CustomerRecord['traits'];
  readonly lastEventAt: NonNullable<CustomerRecord['lastEventAt']>;
  readonly viaFacts?: CustomerRecord['viaFacts'];
  /** Last sighting per identifier, by identity index key (`TYPE#value`, as `viaFacts` is keyed). */
  readonly seen: Readonly<Record<string, string>>;
  readonly updatedAt: string;
  readonly segments: CustomerRecord['segments'];
  readonly segmentIndex?: CustomerRecord['segmentIndex'];
  readonly writeToken?: string | null;
}

/** A floor raised longer ago than this whose version never landed was left by a writer that died: it no longer holds anyone back. */
export const FENCE_STALE_MS = 30_000;

/** The activity item's attributes. */
export const ACTIVITY = { revision: 'rev', body: 'activity', floor: 'floor', fencedAt: 'fencedAt', fencedBy: 'fencedBy' } as const;

/** The customer item's attribute naming the activity revision whose activity it holds itself. */
export const FOLDED_ATTRIBUTE = 'folded';

export function activityOf(record: CustomerRecord): CustomerActivity {
  return {
    traits: record.traits,
    lastEventAt: record.lastEventAt ?? {},
    ...(record.viaFacts ? { viaFacts: record.viaFacts } : {}),
    seen: Object.fromEntries(record.identities.filter((identity) => identity.lastSeenAt).map((identity) => [identityIndexKey(identity), identity.lastSeenAt])),
    updatedAt: record.updatedAt,
    segments: record.segments,
    segmentIndex: record.segmentIndex ?? null,
    writeToken: record.writeToken ?? null,
  };
}

/** The activity as the item stores it: deflated JSON (a typical one is 200–400 bytes). */
export function packActivity(activity: CustomerActivity): Uint8Array {
  return deflateRawSync(JSON.stringify(activity));
}

/**
 * The customer item's fields (customerItem.ts) with an activity item laid
 * over them: its revision always, its activity when it is newer than the
 * activity the customer item holds (`folded`). The result is validated by
 * the customer schema like any customer item.
 */
export function withActivityItem(fields: Record<string, unknown>, item: Record<string, unknown> | undefined): Record<string, unknown> {
  const { [FOLDED_ATTRIBUTE]: folded, ...own } = fields;
  if (!item) return own;
  const merged: Record<string, unknown> = { ...own, activityRevision: item[ACTIVITY.revision] };
  const body = item[ACTIVITY.body];
  const revision = Number(item[ACTIVITY.revision]);
  if (!(body instanceof Uint8Array) || (typeof folded === 'number' && revision <= folded)) return merged;
  const { seen, ...rest } = JSON.parse(inflateRawSync(body).toString('utf8')) as Record<string, unknown>;
  const sightings = seen !== null && typeof seen === 'object' ? (seen as Record<string, unknown>) : {};
  if (Array.isArray(own.identities)) {
    merged.identities = (own.identities as Array<Record<string, unknown>>).map((identity) => {
      const at = sightings[`${String(identity.type)}#${String(identity.value)}`];
      return typeof at === 'string' ? { ...identity, lastSeenAt: at } : identity;
    });
  }
  return { ...merged, ...rest };
}

/** The record with another record's activity (the memory adapter's update of the activity alone). */
export function withActivity(record: CustomerRecord, activity: CustomerActivity): CustomerRecord {
  const identities = record.identities.map((identity) => {
    const at = activity.seen[identityIndexKey(identity)];
    return at ? { ...identity, lastSeenAt: at } : identity;
  });
  const { seen: _seen, ...rest } = activity;
  return { ...record, ...rest, identities };
}

/** Whether two records hold the same activity (a write that leaves it as read need not fence it). */
export function sameActivity(a: CustomerRecord, b: CustomerRecord): boolean {
  return JSON.stringify(activityOf(a)) === JSON.stringify(activityOf(b));
}
