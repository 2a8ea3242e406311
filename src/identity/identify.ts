import type { CustomerRecord, IdentityKey, IdentityRecord, IdentityType, ProfileRecord } from '../domain/index.js';
import { withSegments } from '../segments/evaluate.js';
import { MergeEngine, planCommit } from './mergeEngine.js';
import type { CommitJoins, CommitPlan, HolderLookup, IdentityLink } from './mergeEngine.js';
import { newCustomerId } from './ids.js';
import { countByType, priorityRank } from './identityRules.js';
import type { IdentityPolicy } from './identityRules.js';
import { applyProfile } from './records.js';
import type { WriteScope } from './scope.js';
import { RetryLater, withRetries } from './store.js';
import { suggestMerges } from './suggestions.js';
import type { SuggestedPair } from './suggestions.js';
import { waitForSplits } from './unmerge.js';
import { isKnownCustomer, unverifiedJoins } from './verification.js';
import type { UnverifiedJoin } from './verification.js';
import { identityIndexKey } from '../domain/index.js';

export interface IdentifyCommand {
  /**
   * Normalized and without repeats; `index` is the position in the caller's
   * list; `verified` when the caller (holding identity:verify) vouches that
   * the person proved it.
   */
  readonly identities: ReadonlyArray<{ readonly key: IdentityKey; readonly index: number; readonly verified?: boolean }>;
  readonly profile?: Partial<ProfileRecord> | undefined;
  /** Recorded as the source of new identifiers. */
  readonly source: string;
  /** Identifiers of the call left out because their value is on the blocklist: reported, never linked. */
  readonly blocked?: ReadonlyArray<{ readonly type: IdentityType; readonly index: number }> | undefined;
}

export type LinkRejectionReason = 'LIMIT_EXCEEDED' | 'MERGE_EXCEEDS_LIMIT' | 'BLOCKED_VALUE' | 'UNVERIFIED_MERGE';

/** An identifier of the call that was not linked: values are not echoed, only where it was in the call. */
export interface LinkRejection {
  readonly index: number;
  readonly type: IdentityType;
  readonly reason: LinkRejectionReason;
  /** For the limit reasons: the type whose limit would break, and that limit. */
  readonly limitType: IdentityType | null;
  readonly limit: number | null;
  /** For a refused merge: the customer that keeps the identifier. */
  readonly heldBy: string | null;
}

type Ranked = { readonly key: IdentityKey; readonly index: number; readonly verified: boolean };

export interface IdentifyOutcome {
  readonly record: CustomerRecord;
  readonly merged: readonly string[];
  readonly rejected: readonly LinkRejection[];
}

/**
 * identify: the identifiers of one call belong to one person. Unknown ones
 * are linked to the customer; customers that hold some of them are merged
 * into the one holding the strongest identifier, unless a per-type limit
 * would break (then that link is refused and reported), or unless both are
 * known people joined through an identifier the call did not verify (then
 * the merge is kept as a suggestion for a person to decide,
 * docs/identity-resolution.md "Verified identifiers"). Retried from fresh
 * reads whenever a concurrent writer changed the graph in between. A call
 * naming an identifier on the suppression list is refused whole
 * (SuppressedIdentifierError), before any write.
 */
export async function identify(scope: WriteScope, command: IdentifyCommand): Promise<IdentifyOutcome> {
  const { policy } = scope.services;
  const ranked: Ranked[] = [...command.identities]
    .map((item) => ({ key: item.key, index: item.index, verified: item.verified === true }))
    .sort((a, b) => priorityRank(policy, a.key.type) - priorityRank(policy, b.key.type) || a.index - b.index);
  const merged = new Set<string>();
  const graph = new MergeEngine(scope);
  // An erased person's identifiers link nobody: the call is refused before anything is written. The first round's
  // reads (reads only) are asked beside the check, in the same turn: on DynamoDB one BatchGetItem for both.
  const [refused, looked] = await Promise.allSettled([
    scope.services.suppressions.refuseSuppressed(command.identities, scope.context.span),
    graph.lookup(ranked.map((item) => item.key)),
  ]);
  if (refused.status === 'rejected') throw refused.reason;
  let first = looked.status === 'fulfilled' ? looked.value : undefined;
  try {
    const { suggested, ...outcome } = await withRetries('identify', () => {
      const lookup = first;
      first = undefined;
      return identifyOnce(scope, graph, command, ranked, merged, lookup);
    });
    await suggestMerges(scope, suggested);
    const blocked = (command.blocked ?? []).map(
      ({ type, index }): LinkRejection => ({ index, type, reason: 'BLOCKED_VALUE', limitType: null, limit: null, heldBy: null }),
    );
    return { ...outcome, rejected: [...outcome.rejected, ...blocked].sort((a, b) => a.index - b.index), merged: [...merged] };
  } finally {
    // Links and merges that landed before a failure are history too, and audited.
    await scope.flushLog('identify');
  }
}

type OnceOutcome = Omit<IdentifyOutcome, 'merged'> & { readonly suggested: readonly SuggestedPair[] };

async function identifyOnce(
  scope: WriteScope,
  graph: MergeEngine,
  command: IdentifyCommand,
  ranked: readonly Ranked[],
  merged: Set<string>,
  looked?: HolderLookup,
): Promise<OnceOutcome> {
  const { policy, segments } = scope.services;
  const keys = ranked.map((item) => item.key);
  let holders = await graph.holders(keys, looked);
  await waitForSplits(scope, holders);
  let created: CustomerRecord | null = null;
  const login = loginOfOwn(scope, ranked, holders);
  if (holders.every((holder) => holder === null) || login) {
    const first = login ?? ranked[0]!;
    created = await createCustomer(scope, first, command);
    if (!created) throw new RetryLater('the strongest identifier was claimed meanwhile');
    if (ranked.length === 1) return { record: created, rejected: [], suggested: [] };
    holders = await graph.holders(keys);
  }
  const survivor = login && created ? created : chooseSurvivor(policy, ranked, holders);
  const joins = commitJoins(ranked, holders, survivor.id);
  const others = [...new Map(holders.filter((h): h is CustomerRecord => h !== null && h.id !== survivor.id).map((h) => [h.id, h])).values()];
  const unverified = unverifiedJoins(scope.now(), policy, segments.realtime(), ranked, holders, survivor, others);
  const candidates = others.filter((customer) => !unverified.has(customer.id));
  const unheld = ranked.filter((_, i) => holders[i] === null).map((item) => linkOf(item.key, command.source, scope.now(), item.verified));
  const verifiedKeys = new Set(ranked.filter((item) => item.verified).map((item) => identityIndexKey(item.key)));
  const plan = planCommit(policy, segments.realtime(), scope.now(), survivor, candidates, unheld, command.profile, verifiedKeys);

  const frozen = await freezeAll(graph, plan.accepted, survivor.id);
  const claims = await claimAll(scope, plan.linked, survivor.id);
  const rule = `priority:${ranked.find((_, i) => holders[i]?.id === survivor.id)!.key.type}`;
  const commit = await graph.commit(survivor.id, frozen, claims.claimed, command.profile, rule, joins, verifiedKeys, survivor);
  if (commit.status === 'survivor-moved') {
    await Promise.all(frozen.map((customer) => graph.unfreeze(customer)));
    await releaseAll(scope, claims.claimed, survivor.id);
    throw new RetryLater('the survivor was merged or erased meanwhile');
  }
  for (const customer of commit.plan.accepted) merged.add(customer.id);
  // Identifiers claimed by another writer meanwhile: the next round merges or links them.
  if (claims.lost) throw new RetryLater('an identifier was claimed meanwhile');
  const kept = keptForAPerson(scope, survivor.id, ranked, holders, unverified);
  const rejected = [...rejections(policy, ranked, holders, plan, commit.plan), ...kept.rejected].sort((a, b) => a.index - b.index);
  return { record: commit.record, rejected, suggested: kept.suggested };
}

/** Merges refused as unverified: logged on the survivor, reported per identifier of the call, and suggested to a person. */
function keptForAPerson(
  scope: WriteScope,
  survivorId: string,
  ranked: readonly Ranked[],
  holders: ReadonlyArray<CustomerRecord | null>,
  unverified: ReadonlyMap<string, UnverifiedJoin>,
): { rejected: LinkRejection[]; suggested: SuggestedPair[] } {
  const suggested = [...unverified.values()].map((join) => {
    scope.log({ customerId: survivorId, kind: 'reject', rule: 'unverified', identityKeys: join.otherKeys, otherCustomerId: join.customer.id });
    return { customerIds: [survivorId, join.customer.id], evidence: join.evidence };
  });
  const rejected = ranked.flatMap((item, i): LinkRejection[] => {
    const holder = holders[i];
    return holder && unverified.has(holder.id)
      ? [{ index: item.index, type: item.key.type, reason: 'UNVERIFIED_MERGE', limitType: null, limit: null, heldBy: holder.id }]
      : [];
  });
  return { rejected, suggested };
}

/**
 * The call's login (the identity type customer tokens name), when nobody
 * holds it and it may not join the customers that hold the call's other
 * identifiers: one of them is a known person and the join is not verified
 * on both sides. The login then gets a customer of its own, the call's
 * survivor, and those customers are suggested to it instead of merged; so a
 * token for that login never reads another person's record. Undefined when
 * it may join, or when linking it would break a per-type limit anyway
 * (LIMIT_EXCEEDED says so).
 */
function loginOfOwn(scope: WriteScope, ranked: readonly Ranked[], holders: ReadonlyArray<CustomerRecord | null>): Ranked | undefined {
  const { policy, loginType } = scope.services;
  const login = ranked.find((item, i) => item.key.type === loginType && holders[i] === null);
  if (!login || holders.every((holder) => holder === null)) return undefined;
  const survivor = chooseSurvivor(policy, ranked, holders);
  if ((countByType(survivor.identities).get(loginType) ?? 0) + 1 > policy.limits[loginType]) return undefined;
  const blocked = holders.some((holder) => {
    if (!holder || !isKnownCustomer(holder)) return false;
    const joinVerified = ranked.some((item, i) => item.verified && holders[i]?.id === holder.id);
    return !(joinVerified && login.verified);
  });
  return blocked ? login : undefined;
}

/**
 * The customer that holds the strongest identifier of the call. Two holders
 * of identifiers of the same type: the older customer, then the smaller id,
 * so that concurrent calls pick the same one.
 */
function chooseSurvivor(policy: IdentityPolicy, ranked: readonly Ranked[], holders: ReadonlyArray<CustomerRecord | null>): CustomerRecord {
  const first = holders.findIndex((holder) => holder !== null);
  const topRank = priorityRank(policy, ranked[first]!.key.type);
  const contenders = holders.filter((holder, i): holder is CustomerRecord => holder !== null && priorityRank(policy, ranked[i]!.key.type) === topRank);
  return contenders.reduce((best, c) => (c.createdAt < best.createdAt || (c.createdAt === best.createdAt && c.id < best.id) ? c : best));
}

/** The survivor's identifier of the call (what new links hang from), and for each other holder the identifier that brought it in. */
function commitJoins(ranked: readonly Ranked[], holders: ReadonlyArray<CustomerRecord | null>, survivorId: string): CommitJoins {
  const otherKeys = new Map<string, string>();
  let anchorKey: string | null = null;
  ranked.forEach((item, i) => {
    const holder = holders[i];
    if (!holder) return;
    if (holder.id === survivorId) anchorKey ??= identityIndexKey(item.key);
    else if (!otherKeys.has(holder.id)) otherKeys.set(holder.id, identityIndexKey(item.key));
  });
  return { anchorKey, otherKeys };
}

function linkOf(key: IdentityKey, source: string, now: Date, verified = false): IdentityLink {
  const at = now.toISOString();
  const identity: IdentityRecord = { type: key.type, value: key.value, source, firstSeenAt: at, lastSeenAt: at, ...(verified ? { verified } : {}) };
  return { key, identity };
}

/** A new customer holding only the given identifier; the rest are linked like for any customer. Null if it was claimed meanwhile. */
async function createCustomer(scope: WriteScope, first: Ranked, command: IdentifyCommand): Promise<CustomerRecord | null> {
  const { store, services } = scope;
  const { key } = first;
  const now = scope.now();
  const base: CustomerRecord = {
    ...newCustomerRecord(newCustomerId(), now, [linkOf(key, command.source, now, first.verified).identity]),
    profile: applyProfile({}, command.profile),
  };
  const record = { ...base, segments: withSegments(base, services.segments.realtime(), now) };
  await services.singleView.createCustomer(record, store.call);
  const claim = await services.singleView.claimIdentity(key, record.id, store.call);
  if (claim.status === 'held') {
    await services.singleView.deleteCustomers([record.id], store.call);
    return null;
  }
  scope.log({ customerId: record.id, kind: 'create', rule: 'new-identifier', identityKeys: [identityIndexKey(key)] });
  services.cache.remember(record, key);
  return record;
}

export function newCustomerRecord(id: string, now: Date, identities: IdentityRecord[]): CustomerRecord {
  const at = now.toISOString();
  return {
    id,
    createdAt: at,
    updatedAt: at,
    profile: {},
    identities,
    consents: [],
    segments: [],
    traits: { orderCount: 0, lifetimeValue: null, firstSeenAt: null, lastSeenAt: null },
    lastEventAt: {},
    viaFacts: {},
    aliases: [],
    version: 1,
    // A new customer's activity item starts at revision 0 (connectors/singleview/customerActivity.ts).
    activityRevision: 0,
  };
}

async function freezeAll(graph: MergeEngine, customers: readonly CustomerRecord[], survivorId: string): Promise<CustomerRecord[]> {
  const frozen = await Promise.all(customers.map((customer) => graph.freeze(customer, survivorId)));
  if (frozen.every((record) => record !== null)) return frozen;
  await Promise.all(frozen.filter((record): record is CustomerRecord => record !== null).map((record) => graph.unfreeze(record)));
  throw new RetryLater('a customer to merge changed meanwhile');
}

async function claimAll(scope: WriteScope, links: readonly IdentityLink[], survivorId: string): Promise<{ claimed: IdentityLink[]; lost: boolean }> {
  const { store, services } = scope;
  const outcomes = await Promise.all(
    links.map((link) => services.singleView.claimIdentity(link.key, survivorId, store.call)),
  );
  const claimed = links.filter((_, i) => {
    const outcome = outcomes[i]!;
    return outcome.status === 'claimed' || outcome.customerId === survivorId;
  });
  return { claimed, lost: claimed.length < links.length };
}

async function releaseAll(scope: WriteScope, links: readonly IdentityLink[], survivorId: string): Promise<void> {
  const { store, services } = scope;
  await Promise.all(links.map((link) => services.singleView.releaseIdentity(link.key, [survivorId], store.call)));
}

/** Refusals from the plan (never attempted) and from the commit (undone), reported by position in the call. */
function rejections(
  policy: IdentityPolicy,
  ranked: readonly Ranked[],
  holders: ReadonlyArray<CustomerRecord | null>,
  planned: CommitPlan,
  committed: CommitPlan,
): LinkRejection[] {
  const refusedMerges = new Map([...planned.refused, ...committed.refused].map(({ customer, type }) => [customer.id, type]));
  const refusedLinks = new Map([...planned.rejectedLinks, ...committed.rejectedLinks].map(({ link, type }) => [identityIndexKey(link.key), type]));
  return ranked
    .flatMap((item, i): LinkRejection[] => {
      const holder = holders[i];
      const mergeType = holder ? refusedMerges.get(holder.id) : undefined;
      if (holder && mergeType) {
        return [{ index: item.index, type: item.key.type, reason: 'MERGE_EXCEEDS_LIMIT', limitType: mergeType, limit: policy.limits[mergeType], heldBy: holder.id }];
      }
      const linkType = refusedLinks.get(identityIndexKey(item.key));
      if (!holder && linkType) {
        return [{ index: item.index, type: item.key.type, reason: 'LIMIT_EXCEEDED', limitType: linkType, limit: policy.limits[linkType], heldBy: null }];
      }
      return [];
    })
    .sort((a, b) => a.index - b.index);
}
