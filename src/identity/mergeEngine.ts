import { SourceError } from '../../connectors/resilience/sourceError.js';
import type { CustomerRecord, IdentityKey, IdentityRecord, IdentityType, ProfileRecord } from '../domain/index.js';
import { withSegments } from '../segments/evaluate.js';
import type { SegmentSpec } from '../segments/definitions.js';
import { countByType } from './identityRules.js';
import type { IdentityPolicy } from './identityRules.js';
import { absorb, applyProfile, holdsIdentity, unionIdentities } from './records.js';
import type { WriteScope } from './scope.js';
import { RetryLater } from './store.js';
import { identityIndexKey } from '../domain/index.js';

/** Merges can chain (A into B, later B into C); a longer chain means a cycle. */
const MAX_MERGE_HOPS = 8;
/** A merge left `pending` longer than this lost its writer (a crash); the next writer that meets it finishes or undoes it. */
export const STALE_MERGE_MS = 10_000;
/** What a consent decision given to an absorbed id says when read through the survivor (src/history.ts). */
export const MERGED_NOTE = 'merged from another customer';

/** The identity index's answer for some keys, and the customers read beside it (MergeEngine.lookup). */
export interface HolderLookup {
  readonly ids: ReadonlyArray<string | null>;
  readonly read: ReadonlyMap<string, CustomerRecord>;
}

/** An identifier to link, with the record the survivor will hold for it. */
export interface IdentityLink {
  readonly key: IdentityKey;
  readonly identity: IdentityRecord;
}

export interface CommitPlan {
  /** The survivor as it was before the commit. */
  readonly before: CustomerRecord;
  readonly record: CustomerRecord;
  /** Per absorbed customer, the profile fields it filled because the survivor had none. */
  readonly filled: ReadonlyMap<string, readonly string[]>;
  /** Absorbed customers whose data the survivor now holds. */
  readonly accepted: readonly CustomerRecord[];
  /** Customers not merged because the union would break the limit of `type`. */
  readonly refused: ReadonlyArray<{ readonly customer: CustomerRecord; readonly type: IdentityType }>;
  readonly linked: readonly IdentityLink[];
  readonly rejectedLinks: ReadonlyArray<{ readonly link: IdentityLink; readonly type: IdentityType }>;
}

export type CommitOutcome = { readonly status: 'committed'; readonly record: CustomerRecord; readonly plan: CommitPlan } | { readonly status: 'survivor-moved' };

/**
 * What the survivor becomes when it absorbs `absorbed` (in order) and gains
 * `links`, each only if no per-type limit breaks, then takes the profile
 * fields given, records as verified the identifiers the call verified
 * (`verifiedKeys`, index keys) that it now holds, and has its real-time
 * segments re-evaluated. Pure: identify runs it once to plan and again
 * inside the conditional write.
 */
export function planCommit(
  policy: IdentityPolicy,
  specs: readonly SegmentSpec[],
  now: Date,
  survivor: CustomerRecord,
  absorbed: readonly CustomerRecord[],
  links: readonly IdentityLink[],
  profile?: Partial<ProfileRecord>,
  verifiedKeys: ReadonlySet<string> = NONE_VERIFIED,
): CommitPlan {
  let record = survivor;
  const accepted: CustomerRecord[] = [];
  const refused: Array<{ customer: CustomerRecord; type: IdentityType }> = [];
  const filled = new Map<string, string[]>();
  for (const customer of absorbed) {
    if ((record.aliases ?? []).includes(customer.id)) {
      accepted.push(customer);
      continue;
    }
    const trial = absorb(record, [customer]).record;
    const broken = newlyBroken(policy, record.identities, trial.identities);
    if (broken) refused.push({ customer, type: broken });
    else {
      filled.set(customer.id, filledFields(record.profile, customer.profile));
      record = trial;
      accepted.push(customer);
    }
  }
  const linked: IdentityLink[] = [];
  const rejectedLinks: Array<{ link: IdentityLink; type: IdentityType }> = [];
  for (const link of links) {
    if (holdsIdentity(record, link.key)) {
      linked.push(link);
      continue;
    }
    const identities = unionIdentities(record.identities, [link.identity]);
    const broken = newlyBroken(policy, record.identities, identities);
    if (broken) rejectedLinks.push({ link, type: broken });
    else {
      record = { ...record, identities };
      linked.push(link);
    }
  }
  record = { ...record, profile: applyProfile(record.profile, profile), updatedAt: now.toISOString() };
  if (verifiedKeys.size > 0) record = { ...record, identities: markVerified(record.identities, verifiedKeys) };
  record = { ...record, segments: withSegments(record, specs, now) };
  return { before: survivor, record, filled, accepted, refused, linked, rejectedLinks };
}

const NONE_VERIFIED: ReadonlySet<string> = new Set();

/** Identifiers named in `verifiedKeys` become verified; the others stay as they are. */
export function markVerified(identities: readonly IdentityRecord[], verifiedKeys: ReadonlySet<string>): IdentityRecord[] {
  return identities.map((identity) => (!identity.verified && verifiedKeys.has(identityIndexKey(identity)) ? { ...identity, verified: true } : identity));
}

function filledFields(survivor: ProfileRecord, absorbed: ProfileRecord): string[] {
  const present = (value: unknown) => value !== undefined && value !== null;
  return Object.entries(absorbed)
    .filter(([field, value]) => present(value) && !present((survivor as Record<string, unknown>)[field]))
    .map(([field]) => field);
}

/** Which identifiers of an identify call joined what: the survivor's, and each absorbed customer's. */
export interface CommitJoins {
  readonly anchorKey: string | null;
  readonly otherKeys: ReadonlyMap<string, string>;
}

const NO_JOINS: CommitJoins = { anchorKey: null, otherKeys: new Map() };

/** A type over its limit after the change that was not over it (or not as far) before. */
function newlyBroken(policy: IdentityPolicy, before: readonly IdentityRecord[], after: readonly IdentityRecord[]): IdentityType | undefined {
  const previous = countByType(before);
  for (const [type, count] of countByType(after)) {
    if (count > policy.limits[type] && count > (previous.get(type) ?? 0)) return type;
  }
  return undefined;
}

/**
 * The merge engine: the identity graph in the single view as writers see it, canonical
 * customers (following merges, finishing or waiting for those in flight),
 * and the steps of a merge. The algorithm and its ordering of conditional
 * writes are in docs/identity-resolution.md.
 */
export class MergeEngine {
  constructor(private readonly scope: WriteScope) {}

  private get port() {
    return this.scope.services.singleView;
  }

  /**
   * Reads only: which customer the identity index names for each key, and,
   * beside that read, the customers this process's write cache names as
   * their holders (src/identity/cache.ts). Both strongly consistent, asked
   * in the same turn: on DynamoDB one BatchGetItem with any other such read
   * of the turn (identify's suppression check). The cache only chooses what
   * to read: a holder it did not name is read after the index answers.
   */
  async lookup(keys: readonly IdentityKey[]): Promise<HolderLookup> {
    const { store, services } = this.scope;
    if (keys.length === 0) return { ids: [], read: new Map() };
    const named = [...new Set(keys.map((key) => services.cache.holderOf(key)).filter((id): id is string => id !== undefined))];
    const [ids, read] = await Promise.all([
      this.port.customerIdsByIdentity(keys, { ...store.call, consistent: true }),
      named.length > 0 ? store.customers(named) : new Map<string, CustomerRecord>(),
    ]);
    return {
      ids: ids.map((id) => {
        if (id instanceof Error) throw id;
        return id;
      }),
      read,
    };
  }

  /**
   * The customer each key belongs to now, or null; an index entry whose
   * customer is gone is removed. `looked`: the lookup of these keys already
   * made (identify makes its first one beside the suppression check).
   */
  async holders(keys: readonly IdentityKey[], looked?: HolderLookup): Promise<Array<CustomerRecord | null>> {
    const { store } = this.scope;
    if (keys.length === 0) return [];
    const { ids: holderIds, read } = looked ?? (await this.lookup(keys));
    const canonical = await this.canonical(holderIds.filter((id): id is string => id !== null), read);
    return Promise.all(
      keys.map(async (key, i) => {
        const id = holderIds[i];
        if (!id) return null;
        const record = canonical.get(id) ?? null;
        if (!record) await this.port.releaseIdentity(key, [id], store.call);
        return record;
      }),
    );
  }

  /** `read`: records of some of these ids already read strongly consistent in this round (lookup); the others are read. */
  async canonical(ids: readonly string[], read: ReadonlyMap<string, CustomerRecord> = new Map()): Promise<Map<string, CustomerRecord | null>> {
    const unique = [...new Set(ids)];
    // One batch read for the common case; only merged customers cost more hops.
    const unread = unique.filter((id) => !read.has(id));
    const first = new Map([...read, ...(unread.length > 0 ? await this.scope.store.customers(unread) : [])]);
    const records = await Promise.all(unique.map((id) => this.follow(id, first.get(id) ?? null)));
    return new Map(unique.map((id, i) => [id, records[i] ?? null]));
  }

  /** The customer `id` stands for: itself, or the survivor of the merges that absorbed it. */
  async follow(id: string, known?: CustomerRecord | null): Promise<CustomerRecord | null> {
    const { store } = this.scope;
    let current = known === undefined ? await store.customer(id) : known;
    for (let hop = 0; hop < MAX_MERGE_HOPS; hop++) {
      if (!current) return null;
      if (!current.mergedInto) return current;
      if (current.mergeState === 'pending') {
        await this.settlePending(current);
        current = await store.customer(current.id);
        continue;
      }
      if (current.mergeState === 'committed') await this.finish(current);
      current = await store.customer(current.mergedInto);
    }
    throw new SourceError('singleview', 'malformed_payload', `merge chain longer than ${MAX_MERGE_HOPS} hops`);
  }

  /** Marks `absorbed` as merging into the survivor; from here on writers of `absorbed` wait or follow. Null on conflict. */
  freeze(absorbed: CustomerRecord, survivorId: string): Promise<CustomerRecord | null> {
    const now = this.scope.now().toISOString();
    return this.scope.store.replace(
      { ...absorbed, mergedInto: survivorId, mergeState: 'pending', mergeStartedAt: now, updatedAt: now },
      absorbed.version ?? 0,
    );
  }

  /** Undoes a freeze whose merge did not happen. A conflict means another writer already settled it. */
  async unfreeze(frozen: CustomerRecord): Promise<void> {
    const restored = await this.scope.store.replace({ ...frozen, mergedInto: null, mergeState: null, mergeStartedAt: null }, frozen.version ?? 0);
    if (restored) this.scope.log({ customerId: frozen.id, kind: 'abort', rule: 'merge-undone', identityKeys: [], otherCustomerId: frozen.mergedInto ?? null });
  }

  /**
   * The commit point of a merge: one conditional write of the survivor with
   * everything the frozen customers held, new links and profile fields.
   * Then the side effects in order: undo refused merges and links, mark
   * accepted merges committed, move their events, history and index entries.
   */
  async commit(
    survivorId: string,
    frozen: readonly CustomerRecord[],
    links: readonly IdentityLink[],
    profile: Partial<ProfileRecord> | undefined,
    rule: string,
    joins: CommitJoins = NO_JOINS,
    verifiedKeys?: ReadonlySet<string>,
    known?: CustomerRecord,
  ): Promise<CommitOutcome> {
    const { store, services } = this.scope;
    const now = this.scope.now();
    const outcome = await store.update(
      survivorId,
      (survivor) => {
        // An unmerge of the survivor is in progress: this merge starts over once it is done.
        if (survivor.split) return null;
        const plan = planCommit(services.policy, services.segments.realtime(), now, survivor, frozen, links, profile, verifiedKeys);
        return { record: plan.record, result: plan };
      },
      // The survivor as this round read it (no second read); a newer one in this process's write cache wins.
      known?.id === survivorId ? known : undefined,
    );
    if (outcome.status !== 'written') return { status: 'survivor-moved' };
    const { result: plan, record } = outcome;
    await Promise.all([
      ...plan.refused.map(({ customer }) => this.unfreeze(customer)),
      ...plan.rejectedLinks.map(({ link }) => this.port.releaseIdentity(link.key, [survivorId], store.call)),
    ]);
    this.logCommit(survivorId, plan, rule, joins);
    // Straight from `pending` to `done`: with nothing to move but index entries, a `committed` write
    // in between would only cost a call. Should this writer stop before `done`, the survivor listing
    // the absorbed id as an alias tells the next writer that the merge committed (settlePending).
    await Promise.all(plan.accepted.filter((customer) => customer.mergedInto === survivorId).map((customer) => this.finish(customer, record)));
    services.cache.remember(record);
    return { status: 'committed', record, plan };
  }

  private logCommit(survivorId: string, plan: CommitPlan, rule: string, joins: CommitJoins): void {
    const { before } = plan;
    for (const customer of plan.accepted) {
      const filledFields = plan.filled.get(customer.id);
      // A customer the survivor had already absorbed (a repeated commit) is not merged again.
      if (!filledFields) continue;
      this.scope.log({
        customerId: survivorId,
        kind: 'merge',
        rule,
        identityKeys: customer.identities.map(identityIndexKey),
        otherCustomerId: customer.id,
        anchorKey: joins.anchorKey,
        otherKey: joins.otherKeys.get(customer.id) ?? null,
        undo: { createdAt: before.createdAt, segments: [...before.segments], filledFields },
      });
    }
    for (const { customer, type } of plan.refused) {
      this.scope.log({ customerId: survivorId, kind: 'reject', rule: `limit:${type}`, identityKeys: [], otherCustomerId: customer.id });
    }
    const linked = plan.linked.map((link) => identityIndexKey(link.key));
    if (linked.length > 0) this.scope.log({ customerId: survivorId, kind: 'link', rule: 'exact-match', identityKeys: linked, anchorKey: joins.anchorKey });
    for (const { link, type } of plan.rejectedLinks) {
      this.scope.log({ customerId: survivorId, kind: 'reject', rule: `limit:${type}`, identityKeys: [identityIndexKey(link.key)] });
    }
  }

  private async markCommitted(frozen: CustomerRecord): Promise<CustomerRecord | null> {
    const written = await this.scope.store.replace({ ...frozen, mergeState: 'committed' }, frozen.version ?? 0, frozen);
    if (written) return written;
    const current = await this.scope.store.customer(frozen.id);
    return current?.mergedInto && current.mergeState === 'committed' ? current : null;
  }

  /** A pending merge: finished when the survivor already holds it, waited for while fresh, taken over when stale. */
  private async settlePending(absorbed: CustomerRecord): Promise<void> {
    const survivorId = absorbed.mergedInto!;
    const survivor = await this.scope.store.customer(survivorId);
    if (survivor?.aliases?.includes(absorbed.id)) {
      const committed = await this.markCommitted(absorbed);
      if (committed) await this.finish(committed);
      return;
    }
    const started = Date.parse(absorbed.mergeStartedAt ?? '');
    if (Number.isFinite(started) && this.scope.now().getTime() - started < STALE_MERGE_MS) throw new RetryLater('merge in progress');
    const outcome = await this.commit(survivorId, [absorbed], [], undefined, 'roll-forward');
    if (outcome.status === 'survivor-moved') await this.unfreeze(absorbed);
  }

  /**
   * After the commit: the absorbed customer's identity index entries point
   * at the survivor (a write per identifier, bounded by the per-type limits),
   * and the merge is `done`. Its events, consent history and identity log
   * stay under its own id: merges are by pointer, and readers gather them
   * through the survivor's `aliases` (src/history.ts), so a merge costs the
   * same whatever the absorbed customer's history. Each step is idempotent,
   * so a writer that finds a merge `committed` but not `done` repeats it safely.
   */
  async finish(absorbed: CustomerRecord, survivor?: CustomerRecord): Promise<void> {
    const { store, services } = this.scope;
    const target = survivor ?? (await this.follow(absorbed.mergedInto!));
    if (!target) return;
    const holders = [absorbed.id, ...(absorbed.aliases ?? [])];
    await Promise.all(
      absorbed.identities.map((identity) => this.port.moveIdentity(identity, holders, target.id, store.call)),
    );
    await store.replace({ ...absorbed, mergeState: 'done' }, absorbed.version ?? 0, absorbed);
    services.cache.forget(absorbed.id);
  }
}
