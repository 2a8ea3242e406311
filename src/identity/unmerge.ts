import type { ConsentChangeRecord, ConsentRecord, CustomerRecord, IdentityKey, IdentityLogEntry, ProfileRecord, SegmentMembershipRecord, SplitMarker, ViaFactsRecord } from '../domain/index.js';
import { evaluateMemberships } from '../segments/evaluate.js';
import { MergeEngine, MERGED_NOTE, STALE_MERGE_MS } from './mergeEngine.js';
import { newCustomerId } from './ids.js';
import { factsFromVias, holdsIdentity, legacyVia, mergeProfiles, minTime, viaFactsOf } from './records.js';
import type { WriteScope } from './scope.js';
import { AGAIN, boundedRetry } from '../../connectors/resilience/boundedRetry.js';
import { RetryLater, withRetries } from './store.js';
import { backgroundJobs } from '../jobs/backgroundJobs.js';
import { identityIndexKey, parseIdentityIndexKey } from '../domain/index.js';

/** Consent decisions and identity log entries read per customer id while splitting one. */
const HISTORY_PAGE = 1000;
/**
 * Pages of the events job an unmerge runs itself before it answers (each up
 * to 200 events looked at): a customer with a short timeline is whole on
 * both sides at once; a long one costs the request the same, and the
 * background worker moves the rest (docs/identity-resolution.md).
 */
const SPLIT_INLINE_PAGES = 2;
/** Attempts at re-pointing one absorbed customer item before giving up on it (only erasure races with it). */
const REPOINT_ATTEMPTS = 5;

export interface UnmergeCommand {
  /** Any id of the customer; an id absorbed by a merge names its survivor. */
  readonly customerId: string;
  /** Normalized, without repeats; `index` is the position in the caller's list. */
  readonly identities: ReadonlyArray<{ readonly key: IdentityKey; readonly index: number }>;
  /** The operator's reason: kept with both customers' identity logs, never logged. */
  readonly reason: string;
}

export type UnmergeRefusal =
  | { readonly status: 'unknown-customer' }
  | { readonly status: 'not-held'; readonly index: number }
  | { readonly status: 'leaves-none' };

export type UnmergeOutcome =
  | {
      readonly status: 'split';
      readonly original: CustomerRecord;
      readonly split: CustomerRecord;
      /** An earlier identical unmerge already did this split: nothing changed. */
      readonly duplicate: boolean;
    }
  | UnmergeRefusal;

/** What a split moved, for the audit trail: counts, never values. */
export interface SplitCounts {
  /** Events moved off the timelines that stayed (the absorbed ids that left took theirs by pointer); more may follow in the background. */
  readonly events: number;
  /** Whether the background worker still moves events of this split. */
  readonly eventsPending: boolean;
  readonly consentChanges: number;
  readonly customers: number;
}

/**
 * unmerge: the named identifiers, and everything that arrived through them,
 * leave the customer for a new one. The ordering of conditional writes (mark,
 * build, move, re-point, shrink, release) is in docs/identity-resolution.md;
 * once marked, any writer that finds the split stale finishes it.
 */
export async function unmerge(scope: WriteScope, command: UnmergeCommand): Promise<UnmergeOutcome & { readonly counts?: SplitCounts }> {
  const graph = new MergeEngine(scope);
  try {
    return await withRetries('unmerge', () => unmergeOnce(scope, graph, command));
  } finally {
    await scope.flushLog();
  }
}

async function unmergeOnce(scope: WriteScope, graph: MergeEngine, command: UnmergeCommand): Promise<UnmergeOutcome & { readonly counts?: SplitCounts }> {
  const { store } = scope;
  const keys = command.identities.map((item) => item.key);
  // The customer and the index entries of the identifiers in the same turn (on DynamoDB one BatchGetItem); the
  // customer, read strongly consistent, also answers for the holder the index names when it is that customer.
  const [original, looked] = await Promise.all([graph.follow(command.customerId), graph.lookup(keys)]);
  if (!original) return { status: 'unknown-customer' };
  const holders = await graph.holders(keys, { ids: looked.ids, read: new Map([...looked.read, [original.id, original]]) });
  const earlier = earlierSplit(original, holders);
  if (earlier) {
    if (earlier.split) await waitForSplit(scope, earlier);
    return { status: 'split', original, split: earlier, duplicate: true };
  }
  if (original.split) await waitForSplit(scope, original);
  const notHeld = command.identities.find((item, i) => holders[i]?.id !== original.id || !holdsIdentity(original, item.key));
  if (notHeld) return { status: 'not-held', index: notHeld.index };
  if (keys.length >= original.identities.length) return { status: 'leaves-none' };

  const aliases = await settledAliases(scope, graph, original);
  const keyStrings = keys.map(identityIndexKey);
  const marker: SplitMarker = {
    from: original.id,
    into: newCustomerId(),
    keys: keyStrings,
    origins: movingOrigins(aliases, new Set(keyStrings)),
    startedAt: scope.now().toISOString(),
    note: command.reason,
    principal: scope.context.principal,
    traceId: scope.context.traceId ?? null,
  };
  const marked = await store.update(
    original.id,
    (current) => (unchangedGraph(current, original, keys) ? { record: { ...current, split: marker }, result: null } : null),
    original,
  );
  if (marked.status !== 'written') throw new RetryLater('the customer changed while the unmerge was planned');
  const { counts } = await finishSplit(scope, marker);
  const [after, split] = await Promise.all([store.customer(marker.from), store.customer(marker.into)]);
  if (!after || !split) throw new RetryLater('a customer of the unmerge was erased meanwhile');
  return { status: 'split', original: after, split, duplicate: false, counts };
}

/** A finished (or finishing) unmerge of exactly these identifiers off this customer: they all sit on the customer it created. */
function earlierSplit(original: CustomerRecord, holders: ReadonlyArray<CustomerRecord | null>): CustomerRecord | null {
  const first = holders[0];
  if (!first || first.id === original.id || first.splitFrom !== original.id) return null;
  return holders.every((holder) => holder?.id === first.id) ? first : null;
}

/** The same identifiers and aliases as when the split was planned, and no split under way. */
function unchangedGraph(current: CustomerRecord, planned: CustomerRecord, keys: readonly IdentityKey[]): boolean {
  const sameAliases = [...(current.aliases ?? [])].sort().join(',') === [...(planned.aliases ?? [])].sort().join(',');
  return !current.split && sameAliases && keys.every((key) => holdsIdentity(current, key)) && current.identities.length > keys.length;
}

/** The customers this one absorbed, each merge finished first: a split must see every event and index entry in place. */
async function settledAliases(scope: WriteScope, graph: MergeEngine, original: CustomerRecord): Promise<CustomerRecord[]> {
  const items = await scope.store.customers(original.aliases ?? []);
  const unsettled = [...items.values()].filter((item) => item.mergeState !== 'done');
  if (unsettled.length === 0) return [...items.values()];
  await Promise.all(unsettled.map((item) => graph.follow(item.id, item)));
  throw new RetryLater('finished the merges of absorbed customers first');
}

/** Absorbed customers every one of whose identifiers moves: their consents, profile and older events move with them. */
function movingOrigins(aliases: readonly CustomerRecord[], keys: ReadonlySet<string>): string[] {
  return aliases
    .filter((item) => item.identities.length > 0 && item.identities.every((identity) => keys.has(identityIndexKey(identity))))
    .map((item) => item.id);
}

/**
 * Whether a split in progress on `record` holds a writer up: every writer of
 * the new customer, graph changes (no key given), writers of an identifier
 * that moves, and consent given through an absorbed id that moves.
 */
export function splitHolds(record: CustomerRecord, writer: { readonly key?: string; readonly namedId?: string } = {}): boolean {
  const split = record.split;
  if (!split) return false;
  if (record.id === split.into) return true;
  if (writer.key !== undefined) return split.keys.includes(writer.key);
  if (writer.namedId !== undefined) return split.origins.includes(writer.namedId);
  return true;
}

/** Waits (retry later) for a split in progress, or finishes one whose writer is gone. */
export async function waitForSplit(scope: WriteScope, record: CustomerRecord): Promise<never> {
  const split = record.split;
  if (split) {
    const started = Date.parse(split.startedAt);
    if (Number.isFinite(started) && scope.now().getTime() - started < STALE_MERGE_MS) throw new RetryLater('unmerge in progress');
    await finishSplit(scope, split);
  }
  throw new RetryLater('finished a stale unmerge');
}

/** identify: no graph change on customers being split. */
export async function waitForSplits(scope: WriteScope, holders: ReadonlyArray<CustomerRecord | null>): Promise<void> {
  const splitting = holders.find((holder) => holder?.split);
  if (splitting) await waitForSplit(scope, splitting);
}

/**
 * The steps after the mark, each idempotent, so the writer that marked the
 * split and any writer that finds it stale can run them: build the new
 * customer, copy the consent decisions given to it through the original,
 * start moving the events that arrived on the original (and on the absorbed
 * ids that stay) through a moving identifier, re-point its identifiers and
 * absorbed ids, drop the moved history, shrink the original, release the new
 * customer. The absorbed ids that leave take their own events and history
 * by pointer: nothing of theirs is read or written.
 */
export async function finishSplit(scope: WriteScope, marker: SplitMarker): Promise<{ counts: SplitCounts }> {
  const { store } = scope;
  const original = await store.customer(marker.from);
  let split = await store.customer(marker.into);
  let counts: SplitCounts = { events: 0, eventsPending: false, consentChanges: 0, customers: marker.origins.length };
  if (original?.split?.into === marker.into) {
    const context = await readSplitContext(scope, original, marker);
    split ??= await createSplit(scope, original, marker, context);
    const consentChanges = await copyHistory(scope, marker, context);
    const events = await moveEvents(scope, marker, context);
    await repointIdentities(scope, marker);
    await repointOrigins(scope, marker);
    await deleteMovedHistory(scope, marker, context);
    await shrinkOriginal(scope, marker, context, split);
    counts = { ...counts, ...events, consentChanges };
  }
  if (split?.split) await store.update(split.id, (current) => (current.split ? { record: { ...current, split: null }, result: null } : null), split);
  scope.services.cache.forget(marker.from);
  scope.services.cache.forget(marker.into);
  return { counts };
}

/** What both sides are computed from, read once per run. */
interface SplitContext {
  readonly origins: ReadonlyMap<string, CustomerRecord>;
  /** Absorbed customers that stay with the original. */
  readonly staying: readonly CustomerRecord[];
  readonly history: readonly ConsentChangeRecord[];
  readonly log: readonly IdentityLogEntry[];
}

async function readSplitContext(scope: WriteScope, original: CustomerRecord, marker: SplitMarker): Promise<SplitContext> {
  const { store, services } = scope;
  const port = services.singleView;
  // Consent decisions stay under the id they were given to (merges are by pointer): each id's are read.
  const partitions = [original.id, ...(original.aliases ?? [])];
  const [items, histories, log] = await Promise.all([
    store.customers(original.aliases ?? []),
    Promise.all(partitions.map((id) => port.getConsentHistory(id, { first: HISTORY_PAGE }, store.call))),
    port.getIdentityLog(original.id, HISTORY_PAGE, store.call),
  ]);
  // An entry under two ids (a copy an older merge made under the original) counts once, as the original's: that copy is what moves.
  const byId = new Map<string, ConsentChangeRecord>();
  for (const change of histories.flat()) if (!byId.has(change.id)) byId.set(change.id, change);
  const history = [...byId.values()].sort((a, b) => `${b.at}#${b.id}`.localeCompare(`${a.at}#${a.id}`));
  const moving = new Set(marker.origins);
  const origins = new Map(marker.origins.flatMap((id) => (items.has(id) ? [[id, items.get(id)!] as const] : [])));
  const staying = [...items.values()].filter((item) => !moving.has(item.id));
  return { origins, staying, history, log };
}

/** A history entry belongs to the side of the customer it was given to. */
function movesWith(marker: SplitMarker, change: ConsentChangeRecord): boolean {
  return marker.origins.includes(change.origin ?? change.customerId);
}

function splitVias(marker: SplitMarker): string[] {
  return [...marker.keys, ...marker.origins.map(legacyVia)];
}

function pickFacts(all: Readonly<Record<string, ViaFactsRecord>>, vias: ReadonlySet<string>, keep: boolean): Record<string, ViaFactsRecord> {
  return Object.fromEntries(Object.entries(all).filter(([via]) => vias.has(via) === keep));
}

/** Step 2: the new customer, complete but held (`split` set) until the original has shrunk. */
async function createSplit(scope: WriteScope, original: CustomerRecord, marker: SplitMarker, context: SplitContext): Promise<CustomerRecord> {
  const { store, services } = scope;
  const now = scope.now();
  const keys = new Set(marker.keys);
  const origins = marker.origins.map((id) => context.origins.get(id)).filter((item): item is CustomerRecord => item !== undefined);
  const base: CustomerRecord = {
    id: marker.into,
    createdAt: origins.map((item) => item.createdAt).reduce<string | null>(minTime, null) ?? now.toISOString(),
    updatedAt: now.toISOString(),
    profile: mergeProfiles(origins),
    identities: original.identities.filter((identity) => keys.has(identityIndexKey(identity))),
    consents: inOrderOf(
      latestDecisions(context.history.filter((change) => movesWith(marker, change))),
      origins.flatMap((item) => item.consents.map((consent) => consent.purpose)),
    ),
    segments: unionMemberships(origins.map((item) => item.segments)),
    ...factsFromVias(pickFacts(viaFactsOf(original), new Set(splitVias(marker)), true)),
    aliases: [...marker.origins],
    splitOrigins: [...marker.origins],
    splitFrom: original.id,
    split: marker,
    version: 1,
    activityRevision: 0,
  };
  const record = { ...base, segments: evaluateAll(scope, base, now) };
  const created = await services.singleView.createCustomer(record, store.call);
  if (created === 'written') return record;
  const existing = await store.customer(marker.into);
  if (!existing) throw new RetryLater('the new customer of an unmerge vanished');
  return existing;
}

/**
 * Step 3: decisions kept under the original that belong to the moving
 * customers (given through an absorbed id after the merge, or copied there
 * by a merge made before merges were by pointer), under the same ids; a
 * merge's note stays only where a nested merge made it.
 */
async function copyHistory(scope: WriteScope, marker: SplitMarker, context: SplitContext): Promise<number> {
  const moving = movedOffOriginal(marker, context);
  if (moving.length === 0) return 0;
  const direct = (origin: string) => {
    const target = context.origins.get(origin)?.mergedInto;
    return target === marker.from || target === marker.into;
  };
  const copies = moving.map((change) => {
    const origin = change.origin ?? change.customerId;
    return { ...change, customerId: marker.into, origin, note: change.note === MERGED_NOTE && direct(origin) ? null : (change.note ?? null) };
  });
  const port = scope.services.singleView;
  await port.appendConsentChanges(copies, scope.store.call);
  return copies.length;
}

/** The original's own history entries that go with the split. */
function movedOffOriginal(marker: SplitMarker, context: SplitContext): ConsentChangeRecord[] {
  return context.history.filter((change) => change.customerId === marker.from && movesWith(marker, change));
}

/**
 * Step 4: events on the original's timeline, and on those of the absorbed
 * ids that stay, that arrived through a moving identifier (tracked after a
 * merge, or moved there by a merge made before merges were by pointer): a
 * background job (`split#<new id>`), of which the request runs a page or two.
 * Until the job is done, the events it has not reached still read on the
 * original.
 */
async function moveEvents(scope: WriteScope, marker: SplitMarker, context: SplitContext): Promise<Pick<SplitCounts, 'events' | 'eventsPending'>> {
  const partitions = [marker.from, ...context.staying.map((item) => item.id)];
  const spec = { kind: 'split-events' as const, into: marker.into, partitions, vias: splitVias(marker) };
  const outcome = await backgroundJobs(scope.services).start(`split#${marker.into}`, spec, SPLIT_INLINE_PAGES, scope.store.call);
  return { events: outcome.job?.progress.items ?? 0, eventsPending: outcome.status !== 'done' };
}

/** Step 5: from here on, the moving identifiers resolve to the new customer. */
async function repointIdentities(scope: WriteScope, marker: SplitMarker): Promise<void> {
  const port = scope.services.singleView;
  await Promise.all(marker.keys.map((key) => port.moveIdentity(parseIdentityIndexKey(key), [marker.from], marker.into, scope.store.call)));
}

/** Step 6: ids of the moving customers now stand for the new one (reads and CRM or loyalty records keyed by them follow). */
async function repointOrigins(scope: WriteScope, marker: SplitMarker): Promise<void> {
  const { store } = scope;
  await Promise.all(
    marker.origins.map(async (id) => {
      await boundedRetry(
        { attempts: REPOINT_ATTEMPTS, initialDelayMs: 4, maxDelayMs: 100, exhausted: () => new RetryLater('an absorbed customer kept changing while it was re-pointed') },
        async () => {
          const item = await store.customer(id);
          if (!item || item.mergedInto === marker.into) return undefined;
          return (await store.replace({ ...item, mergedInto: marker.into }, item.version ?? 0, item)) ? undefined : AGAIN;
        },
      );
    }),
  );
}

/** Step 7 comes after this: the original's history keeps only its own decisions. */
async function deleteMovedHistory(scope: WriteScope, marker: SplitMarker, context: SplitContext): Promise<void> {
  const moving = movedOffOriginal(marker, context);
  if (moving.length === 0) return;
  const port = scope.services.singleView;
  await port.deleteConsentChanges(marker.from, moving, scope.store.call);
}

/** Step 7: the original without what moved, its segments re-evaluated, the split cleared; both identity logs record it. */
async function shrinkOriginal(scope: WriteScope, marker: SplitMarker, context: SplitContext, split: CustomerRecord): Promise<void> {
  const now = scope.now();
  const outcome = await scope.store.update(marker.from, (current) => {
    if (current.split?.into !== marker.into) return null;
    const base = shrunk(current, marker, context, split);
    return { record: { ...base, segments: evaluateAll(scope, base, now), updatedAt: now.toISOString() }, result: null };
  });
  if (outcome.status !== 'written') return;
  const entry = { kind: 'unmerge' as const, identityKeys: [...marker.keys], note: marker.note ?? null };
  scope.log({ ...entry, customerId: marker.from, rule: 'split-off', otherCustomerId: marker.into });
  scope.log({ ...entry, customerId: marker.into, rule: 'split-from', otherCustomerId: marker.from });
}

function shrunk(current: CustomerRecord, marker: SplitMarker, context: SplitContext, split: CustomerRecord): CustomerRecord {
  const keys = new Set(marker.keys);
  const moving = new Set(marker.origins);
  const undo = context.log
    .filter((entry) => entry.kind === 'merge' && entry.undo && moving.has(entry.otherCustomerId ?? ''))
    .sort((a, b) => a.at.localeCompare(b.at));
  const before = undo[0]?.undo ?? null;
  const createdAt = before ? (context.staying.map((item) => item.createdAt).reduce<string | null>(minTime, before.createdAt) ?? current.createdAt) : current.createdAt;
  return {
    ...current,
    createdAt,
    identities: current.identities.filter((identity) => !keys.has(identityIndexKey(identity))),
    ...factsFromVias(pickFacts(viaFactsOf(current), new Set(splitVias(marker)), false)),
    consents: keptDecisions(current, marker, context.history),
    profile: unfilledProfile(current.profile, split.profile, undo.flatMap((entry) => entry.undo?.filledFields ?? [])),
    segments: restoredMemberships(current.segments, before?.segments ?? null, [...context.origins.values()]),
    aliases: (current.aliases ?? []).filter((id) => !moving.has(id)),
    split: null,
  };
}

/** Per purpose, the decision that came from a moving customer gives way to the latest one the original was given itself. */
function keptDecisions(current: CustomerRecord, marker: SplitMarker, history: readonly ConsentChangeRecord[]): ConsentRecord[] {
  const own = latestDecisions(history.filter((change) => !movesWith(marker, change)));
  return current.consents.flatMap((consent) => {
    if (!marker.origins.includes(consent.origin ?? current.id)) return [consent];
    const replacement = own.find((decision) => decision.purpose === consent.purpose);
    return replacement ? [replacement] : [];
  });
}

/** The newest decision per purpose in a history (newest first), in the order setConsent keeps them: the most recently changed last. */
function latestDecisions(history: readonly ConsentChangeRecord[]): ConsentRecord[] {
  const byPurpose = new Map<string, ConsentRecord>();
  for (const change of history) {
    if (byPurpose.has(change.purpose)) continue;
    byPurpose.set(change.purpose, {
      purpose: change.purpose,
      status: change.status,
      channel: change.channel ?? null,
      updatedAt: change.at,
      source: change.source,
      origin: change.origin ?? change.customerId,
    });
  }
  return [...byPurpose.values()].reverse();
}

/** Decisions in the order the moving customers held them (decisions made at the same instant have no other order), the rest after. */
function inOrderOf(decisions: readonly ConsentRecord[], purposes: readonly string[]): ConsentRecord[] {
  const rank = (consent: ConsentRecord) => {
    const at = purposes.indexOf(consent.purpose);
    return at === -1 ? purposes.length : at;
  };
  return [...decisions].sort((a, b) => rank(a) - rank(b));
}

/** Fields a moving customer filled into the original's gaps go with it (while they still hold its value). */
function unfilledProfile(profile: ProfileRecord, split: ProfileRecord, filled: readonly string[]): ProfileRecord {
  const next: Record<string, unknown> = { ...profile };
  const fields = split as Record<string, unknown>;
  for (const field of filled) if (next[field] !== undefined && next[field] === fields[field]) next[field] = null;
  return next as ProfileRecord;
}

/**
 * The original's memberships before re-evaluation: those it held before the
 * merge, with the times it entered them then; of the rest, those that came
 * with a moving customer (same segment, same time) are dropped.
 */
function restoredMemberships(
  current: readonly SegmentMembershipRecord[],
  before: readonly SegmentMembershipRecord[] | null,
  origins: readonly CustomerRecord[],
): SegmentMembershipRecord[] {
  const restored = [...(before ?? [])];
  for (const membership of current) {
    if (restored.some((m) => m.segmentId === membership.segmentId)) continue;
    const cameWith = origins.some((item) => item.segments.some((m) => m.segmentId === membership.segmentId && m.since === membership.since));
    if (!cameWith) restored.push(membership);
  }
  return restored;
}

function unionMemberships(lists: ReadonlyArray<readonly SegmentMembershipRecord[]>): SegmentMembershipRecord[] {
  const bySegment = new Map<string, SegmentMembershipRecord>();
  for (const membership of lists.flat()) {
    const existing = bySegment.get(membership.segmentId);
    if (!existing || membership.since < existing.since) bySegment.set(membership.segmentId, membership);
  }
  return [...bySegment.values()];
}

/** Both sides' facts changed wholesale, so every segment is evaluated, batch-only ones included. */
function evaluateAll(scope: WriteScope, record: CustomerRecord, now: Date): SegmentMembershipRecord[] {
  const facts = { traits: record.traits, consents: record.consents, lastEventAt: record.lastEventAt ?? {} };
  return evaluateMemberships(scope.services.segments.all(), facts, record.segments, now);
}

/** The audit detail of an unmerge: how many identifiers of each type moved, never which. */
export function unmergeAuditDetail(identities: readonly IdentityKey[], counts: SplitCounts | undefined, duplicate: boolean): Record<string, string | number> {
  const detail: Record<string, string | number> = { identities: identities.length, repeated: duplicate ? 'true' : 'false' };
  for (const key of identities) detail[`identities.${key.type}`] = (Number(detail[`identities.${key.type}`]) || 0) + 1;
  if (counts) {
    Object.assign(detail, { events: counts.events, consentChanges: counts.consentChanges, absorbedCustomers: counts.customers });
    if (counts.eventsPending) detail.eventsPending = 'true';
  }
  return detail;
}
