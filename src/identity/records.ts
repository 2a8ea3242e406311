import type { ConsentRecord, CustomerRecord, EventRecord, IdentityKey, IdentityRecord, ProfileRecord, SegmentMembershipRecord, TraitsRecord, ViaFactsRecord } from '../domain/index.js';
import { identityIndexKey } from '../domain/index.js';

/**
 * Pure operations on customer records: what an event, a link or a merge does
 * to a customer. The write path reads a record, applies these, and writes the
 * result back under a version check.
 */

/** The event type whose `properties.total` counts towards lifetime value (the demo data uses the same rule). */
export const ORDER_EVENT = 'Order Completed';

export function holdsIdentity(record: CustomerRecord, key: IdentityKey): boolean {
  return record.identities.some((identity) => identity.type === key.type && identity.value === key.value);
}

/** Union by identifier: first seen is the earliest sighting, last seen the latest. */
export function unionIdentities(base: readonly IdentityRecord[], added: readonly IdentityRecord[]): IdentityRecord[] {
  const byKey = new Map(base.map((identity) => [identityIndexKey(identity), identity]));
  for (const identity of added) {
    const existing = byKey.get(identityIndexKey(identity));
    byKey.set(
      identityIndexKey(identity),
      existing
        ? {
            ...existing,
            firstSeenAt: minTime(existing.firstSeenAt, identity.firstSeenAt)!,
            lastSeenAt: maxTime(existing.lastSeenAt, identity.lastSeenAt)!,
            // Verified by either side stays verified.
            ...(existing.verified || identity.verified ? { verified: true } : {}),
          }
        : identity,
    );
  }
  return [...byKey.values()];
}

/** The `via` of events a customer held before identifiers were recorded per event. */
export function legacyVia(customerId: string): string {
  return `@${customerId}`;
}

const NO_FACTS: ViaFactsRecord = { orderCount: 0, lifetimeValue: null, firstSeenAt: null, lastSeenAt: null, lastEventAt: {} };

/** The customer's facts per via; a record written before they were kept holds them all under its own id. */
export function viaFactsOf(record: CustomerRecord): Record<string, ViaFactsRecord> {
  if (record.viaFacts) return { ...record.viaFacts };
  const legacy: ViaFactsRecord = {
    orderCount: record.traits.orderCount,
    lifetimeValue: record.traits.lifetimeValue ?? null,
    firstSeenAt: record.traits.firstSeenAt ?? null,
    lastSeenAt: record.traits.lastSeenAt ?? null,
    lastEventAt: { ...(record.lastEventAt ?? {}) },
  };
  const empty = legacy.orderCount === 0 && legacy.lifetimeValue === null && !legacy.lastSeenAt && Object.keys(legacy.lastEventAt).length === 0;
  return empty ? {} : { [legacyVia(record.id)]: legacy };
}

/** What one event adds to the facts of the identifier it arrived through. */
function addEvent(facts: ViaFactsRecord, event: EventRecord): ViaFactsRecord {
  const total = event.type === ORDER_EVENT ? Number(event.properties?.total) : Number.NaN;
  return {
    orderCount: facts.orderCount + (event.type === ORDER_EVENT ? 1 : 0),
    lifetimeValue: Number.isFinite(total) ? round2((facts.lifetimeValue ?? 0) + total) : (facts.lifetimeValue ?? null),
    firstSeenAt: minTime(facts.firstSeenAt, event.occurredAt),
    lastSeenAt: maxTime(facts.lastSeenAt, event.occurredAt),
    lastEventAt: { ...facts.lastEventAt, [event.type]: maxTime(facts.lastEventAt[event.type], event.occurredAt)! },
  };
}

/** Facts of several vias added up: counts and values sum, times take the earliest first and latest last. */
export function combineFacts(parts: readonly ViaFactsRecord[]): ViaFactsRecord {
  const values = parts.map((part) => part.lifetimeValue).filter((v): v is number => typeof v === 'number');
  const lastEventAt: Record<string, string> = {};
  for (const part of parts) for (const [type, at] of Object.entries(part.lastEventAt)) lastEventAt[type] = maxTime(lastEventAt[type], at)!;
  return {
    orderCount: parts.reduce((sum, part) => sum + part.orderCount, 0),
    lifetimeValue: values.length > 0 ? round2(values.reduce((sum, v) => sum + v, 0)) : null,
    firstSeenAt: parts.map((part) => part.firstSeenAt).reduce(minTime, null),
    lastSeenAt: parts.map((part) => part.lastSeenAt).reduce(maxTime, null),
    lastEventAt,
  };
}

/** Via facts of several customers, summed per via. */
function mergeViaFacts(records: readonly CustomerRecord[]): Record<string, ViaFactsRecord> {
  const merged: Record<string, ViaFactsRecord> = {};
  for (const record of records) {
    for (const [via, facts] of Object.entries(viaFactsOf(record))) merged[via] = merged[via] ? combineFacts([merged[via], facts]) : facts;
  }
  return merged;
}

/** Traits and latest event times as the sum of some vias' facts: what each side of an unmerge keeps. */
export function factsFromVias(viaFacts: Readonly<Record<string, ViaFactsRecord>>): Pick<CustomerRecord, 'traits' | 'lastEventAt' | 'viaFacts'> {
  const total = combineFacts(Object.values(viaFacts));
  return {
    traits: { orderCount: total.orderCount, lifetimeValue: total.lifetimeValue ?? null, firstSeenAt: total.firstSeenAt ?? null, lastSeenAt: total.lastSeenAt ?? null },
    lastEventAt: total.lastEventAt,
    viaFacts,
  };
}

/** What one event changes: traits, the latest time per event type, its identifier's facts, and when the identifier was last seen. */
export function applyEvent(record: CustomerRecord, event: EventRecord, key: IdentityKey): CustomerRecord {
  const via = identityIndexKey(key);
  const viaFacts = viaFactsOf(record);
  viaFacts[via] = addEvent(viaFacts[via] ?? NO_FACTS, event);
  const total = event.type === ORDER_EVENT ? Number(event.properties?.total) : Number.NaN;
  const traits: TraitsRecord = {
    orderCount: record.traits.orderCount + (event.type === ORDER_EVENT ? 1 : 0),
    lifetimeValue: Number.isFinite(total) ? round2((record.traits.lifetimeValue ?? 0) + total) : (record.traits.lifetimeValue ?? null),
    firstSeenAt: minTime(record.traits.firstSeenAt, event.occurredAt),
    lastSeenAt: maxTime(record.traits.lastSeenAt, event.occurredAt),
  };
  const lastEventAt = { ...record.lastEventAt };
  lastEventAt[event.type] = maxTime(lastEventAt[event.type], event.occurredAt)!;
  const identities = record.identities.map((identity) =>
    identity.type === key.type && identity.value === key.value
      ? { ...identity, lastSeenAt: maxTime(identity.lastSeenAt, event.receivedAt)! }
      : identity,
  );
  return { ...record, traits, lastEventAt, viaFacts, identities, updatedAt: maxTime(record.updatedAt, event.receivedAt)! };
}

/** Sets the profile fields the caller sent; `null` clears one, an absent field is left alone. */
export function applyProfile(profile: ProfileRecord, patch: Partial<ProfileRecord> | undefined): ProfileRecord {
  if (!patch) return profile;
  const next: Record<string, unknown> = { ...profile };
  for (const [field, value] of Object.entries(patch)) if (value !== undefined) next[field] = value;
  return next as ProfileRecord;
}

export interface ConsentTakeover {
  /** A purpose whose decision now comes from an absorbed customer, being more recent. */
  readonly consent: ConsentRecord;
  readonly from: string;
}

/** For each purpose the most recent decision wins; on a tie the survivor's stands. */
export function mergeConsents(
  survivor: readonly ConsentRecord[],
  absorbed: ReadonlyArray<{ id: string; consents: readonly ConsentRecord[] }>,
): { consents: ConsentRecord[]; takeovers: ConsentTakeover[] } {
  const current = new Map(survivor.map((consent) => [consent.purpose, { consent, from: null as string | null }]));
  for (const customer of absorbed) {
    for (const consent of customer.consents) {
      const held = current.get(consent.purpose);
      if (!held || consent.updatedAt > held.consent.updatedAt) current.set(consent.purpose, { consent: { ...consent, origin: consent.origin ?? customer.id }, from: customer.id });
    }
  }
  const winners = [...current.values()];
  return {
    consents: winners.map((winner) => winner.consent),
    takeovers: winners.filter((w): w is { consent: ConsentRecord; from: string } => w.from !== null),
  };
}

function mergeSegments(records: readonly CustomerRecord[]): SegmentMembershipRecord[] {
  const bySegment = new Map<string, SegmentMembershipRecord>();
  for (const membership of records.flatMap((record) => record.segments)) {
    const existing = bySegment.get(membership.segmentId);
    if (!existing || membership.since < existing.since) bySegment.set(membership.segmentId, membership);
  }
  return [...bySegment.values()];
}

function mergeTraits(records: readonly CustomerRecord[]): TraitsRecord {
  const values = records.map((record) => record.traits.lifetimeValue).filter((v): v is number => typeof v === 'number');
  return {
    orderCount: records.reduce((sum, record) => sum + record.traits.orderCount, 0),
    lifetimeValue: values.length > 0 ? round2(values.reduce((sum, v) => sum + v, 0)) : null,
    firstSeenAt: records.map((record) => record.traits.firstSeenAt).reduce(minTime, null),
    lastSeenAt: records.map((record) => record.traits.lastSeenAt).reduce(maxTime, null),
  };
}

function mergeLastEvents(records: readonly CustomerRecord[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const record of records) {
    for (const [type, at] of Object.entries(record.lastEventAt ?? {})) merged[type] = maxTime(merged[type], at)!;
  }
  return merged;
}

/** The survivor's profile stands; its gaps are filled from the absorbed customers in order. */
export function mergeProfiles(records: readonly CustomerRecord[]): ProfileRecord {
  const merged: Record<string, unknown> = {};
  for (const record of records) {
    for (const [field, value] of Object.entries(record.profile)) {
      if ((merged[field] === undefined || merged[field] === null) && value !== undefined && value !== null) merged[field] = value;
    }
  }
  return merged as ProfileRecord;
}

/** The survivor after absorbing `absorbed`: everything they held follows it. */
export function absorb(survivor: CustomerRecord, absorbed: readonly CustomerRecord[]): { record: CustomerRecord; takeovers: ConsentTakeover[] } {
  const all = [survivor, ...absorbed];
  const { consents, takeovers } = mergeConsents(survivor.consents, absorbed);
  const aliases = new Set([...(survivor.aliases ?? [])]);
  for (const customer of absorbed) {
    aliases.add(customer.id);
    for (const alias of customer.aliases ?? []) aliases.add(alias);
  }
  const record: CustomerRecord = {
    ...survivor,
    createdAt: all.map((record) => record.createdAt).reduce((a, b) => (b < a ? b : a)),
    profile: mergeProfiles(all),
    identities: absorbed.reduce<IdentityRecord[]>((identities, customer) => unionIdentities(identities, customer.identities), [...survivor.identities]),
    consents,
    segments: mergeSegments(all),
    traits: mergeTraits(all),
    lastEventAt: mergeLastEvents(all),
    viaFacts: mergeViaFacts(all),
    aliases: [...aliases],
  };
  return { record, takeovers };
}

export function minTime(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return b < a ? b : a;
}

export function maxTime(a: string | null | undefined, b: string | null | undefined): string | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return b > a ? b : a;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
