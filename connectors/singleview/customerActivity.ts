import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { CustomerRecord } from '../../src/domain/index.js';

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
 * - the activity item applies to the customer item whose `version` is its
 *   `base`; a write of the whole customer (a merge, a consent change, a
 *   segment evaluation, an unmerge) stores the activity it read inside the
 *   customer item at the next version, after which the activity item no
 *   longer applies until the next `track` writes it against that version;
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
  /** Last sighting per identifier, in the order of the customer's identities at `base` (no identifier values in this item). */
  readonly seen: ReadonlyArray<string | null>;
  readonly updatedAt: string;
  readonly segments: CustomerRecord['segments'];
  readonly segmentIndex?: CustomerRecord['segmentIndex'];
  readonly writeToken?: string | null;
}

/** A floor raised longer ago than this whose version never landed was left by a writer that died: it no longer holds anyone back. */
export const FENCE_STALE_MS = 30_000;

/** The activity item's attributes. */
export const ACTIVITY = { base: 'base', revision: 'rev', body: 'activity', floor: 'floor', fencedAt: 'fencedAt', fencedBy: 'fencedBy' } as const;

export function activityOf(record: CustomerRecord): CustomerActivity {
  return {
    traits: record.traits,
    lastEventAt: record.lastEventAt ?? {},
    ...(record.viaFacts ? { viaFacts: record.viaFacts } : {}),
    seen: record.identities.map((identity) => identity.lastSeenAt ?? null),
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
 * over them: its revision always, its activity when it applies to this
 * version of the customer. The result is validated by the customer schema
 * like any customer item.
 */
export function withActivityItem(fields: Record<string, unknown>, item: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!item) return fields;
  const merged: Record<string, unknown> = { ...fields, activityRevision: item[ACTIVITY.revision] };
  const body = item[ACTIVITY.body];
  if (item[ACTIVITY.base] !== (fields.version ?? 0) || !(body instanceof Uint8Array)) return merged;
  const activity = JSON.parse(inflateRawSync(body).toString('utf8')) as Record<string, unknown>;
  const { seen, ...rest } = activity;
  const identities = Array.isArray(fields.identities) ? (fields.identities as Array<Record<string, unknown>>) : [];
  if (Array.isArray(seen) && seen.length === identities.length) {
    merged.identities = identities.map((identity, i) => (typeof seen[i] === 'string' ? { ...identity, lastSeenAt: seen[i] } : identity));
  }
  return { ...merged, ...rest };
}

/** The record with another record's activity (the memory adapter's update of the activity alone). */
export function withActivity(record: CustomerRecord, activity: CustomerActivity): CustomerRecord {
  const identities =
    activity.seen.length === record.identities.length
      ? record.identities.map((identity, i) => (activity.seen[i] ? { ...identity, lastSeenAt: activity.seen[i] } : identity))
      : record.identities;
  const { seen: _seen, ...rest } = activity;
  return { ...record, ...rest, identities };
}
