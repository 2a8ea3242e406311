import { GraphQLError } from 'graphql';
import type { ExecutionResult } from 'graphql';
import type { PiiClass } from '../domain/index.js';
import { piiAccessDeniedAt } from '../errors.js';
import { WalkedOutcome, releaseOf } from './ledger.js';
import type { PrivacyLedger, Release, ReleaseAction, RepeatedReleases } from './ledger.js';
import { hashValue, maskValue } from './redact.js';
import type { Redacted } from './redact.js';
import type { ReleaseDecision, WithholdReason } from './releaseDecision.js';
import { OWNER_KEY } from './responsePlan.js';
import type { ObjectPlan, OwnerTag, WalkedValue } from './responsePlan.js';

type ResponseObject = Record<string, unknown>;

/**
 * Decides every personal value of an executed operation in one walk of its
 * response, before the response is serialized: the plan (made once per
 * document, src/privacy/responsePlan.ts) names the response keys of personal
 * values at each level, so the walk visits only those, reads each object's
 * owner tag (and removes it), and releases, masks, hashes or withholds each
 * value in place, recording it for the audit in the same step (as the
 * Release its position in the plan keeps: nothing is allocated per value).
 * Decisions that depend only on the purpose and class were made once for
 * the policy (plannedDecisions); per customer, consent is read once, before
 * the walk.
 *
 * Fail closed: if anything goes wrong, the response carries no data at all.
 */
export async function decideResponse(result: ExecutionResult, walk: ObjectPlan, ledger: PrivacyLedger): Promise<ExecutionResult> {
  try {
    const data = result.data as ResponseObject | null | undefined;
    if (data) {
      if (ledger.readsOwners) await prefetchOwners(data, walk, ledger);
      const withheld: GraphQLError[] = [];
      const state = stateOf(walk);
      const shape = ResponseShape.of(data, walk, state, ledger);
      if (!shape?.releaseAsKept()) {
        new ResponseWalk(ledger, withheld).object(data, walk, state.root);
        if (withheld.length === 0) shape?.keep();
      }
      if (withheld.length > 0) result = { ...result, errors: [...(result.errors ?? []), ...withheld] };
    }
    ledger.walkPending = false;
    return result;
  } catch {
    // Nothing of the data leaves: the walk could not vouch for it.
    ledger.walkPending = false;
    return { data: null, errors: [new GraphQLError('Personal data could not be decided; nothing was released.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })] };
  }
}

/** Shapes a plan keeps release lists for (ResponseShape); past this, responses of new shapes are walked without keeping theirs. */
export const MAX_SHAPES_PER_PLAN = 32;

interface KeptShape {
  /** The owner's releases before the walk (PrivacyLedger.repeatedSoFar). */
  readonly before: RepeatedReleases;
  readonly marks: readonly number[];
  /** The owner's releases after the walk: `before`'s, then the walk's. */
  readonly list: readonly Release[];
}

/**
 * A response released by its shape. When the request's purpose releases
 * every class of the plan as is, whoever the customer (a call-centre's
 * `support`), and the response is about one customer, which values are
 * released depends only on where the response has a value, a null or a list
 * of some length: its marks, read in one pass that touches nothing but the
 * response. The first response of each shape is walked as any other, and the
 * owner's release list it leaves (frozen, shared) is kept with the plan,
 * keyed by its marks and by the releases the owner already had (the @pii
 * parts and event properties their resolvers recorded, as the part of the
 * plan's audit shape they repeat). A later response with the same marks, the
 * same owner's releases so far repeating the same list as far, gets that
 * list whole: the same releases, in the same order, that the walk would
 * have recorded, without visiting a value. Anything else (another purpose,
 * several owners, a co-owned or untagged object, a list inside a list,
 * releases that already differ from the plan's shape) is walked.
 */
class ResponseShape {
  private owner: string | undefined;
  /** What the owner had before this response's values (PrivacyLedger.repeatedSoFar): part of the key its list is kept under. */
  private before: RepeatedReleases | undefined;
  private hash = 0;
  private readonly marks: number[] = [];
  private readonly tagged: ResponseObject[] = [];

  private constructor(
    private readonly state: PlanState,
    private readonly ledger: PrivacyLedger,
  ) {}

  static of(data: ResponseObject, walk: ObjectPlan, state: PlanState, ledger: PrivacyLedger): ResponseShape | undefined {
    if (!ledger.releasesAsIs(state.classes)) return undefined;
    const shape = new ResponseShape(state, ledger);
    return shape.read(data, walk) && shape.owner !== undefined ? shape : undefined;
  }

  /** Releases the kept list of this shape, if there is one, and takes the owner tags out; false when the walk must decide. */
  releaseAsKept(): boolean {
    const kept = this.state.shapes.get(this.hash)?.find((shape) => this.matches(shape));
    if (!kept) return false;
    for (const object of this.tagged) object[OWNER_KEY] = undefined;
    this.ledger.releaseAll(this.owner!, kept.list, this.before!.count);
    return true;
  }

  /** Keeps the owner's list the walk has just left (frozen, as the audit stores it), for the next response of this shape. */
  keep(): void {
    const list = this.ledger.releasesByCustomer.get(this.owner!);
    if (!list || this.state.keptShapes >= MAX_SHAPES_PER_PLAN) return;
    const same = this.state.shapes.get(this.hash) ?? [];
    if (same.some((shape) => this.matches(shape))) return;
    same.push({ before: this.before!, marks: this.marks, list });
    this.state.shapes.set(this.hash, same);
    this.state.keptShapes++;
  }

  /** The same marks, after the same releases: none, or as many of the same list. */
  private matches(shape: KeptShape): boolean {
    const before = this.before!;
    if (shape.before.count !== before.count || (before.count > 0 && shape.before.list !== before.list) || shape.marks.length !== this.marks.length) return false;
    for (let i = 0; i < this.marks.length; i++) if (shape.marks[i] !== this.marks[i]) return false;
    return true;
  }

  private mark(mark: number): void {
    this.marks.push(mark);
    this.hash = (Math.imul(this.hash, 31) + mark) | 0;
  }

  /** Reads the marks: 0 or 1 per value (null or not), then per child 2 (none), 5 (an object) or 3 and its length (a list; 4 for a null item). */
  private read(object: ResponseObject, plan: ObjectPlan): boolean {
    const { values, children } = plan;
    if (values.length > 0) {
      const tag = object[OWNER_KEY];
      if (typeof tag !== 'string' || (this.owner !== undefined && tag !== this.owner)) return false;
      if (this.owner === undefined) {
        this.owner = tag;
        this.before = this.ledger.repeatedSoFar(tag);
        if (!this.before) return false;
      }
      this.tagged.push(object);
      for (let i = 0; i < values.length; i++) {
        const value = object[values[i]!.key];
        this.mark(value === null || value === undefined ? 0 : 1);
      }
    }
    for (let i = 0; i < children.length; i++) {
      const { key, plan: inner } = children[i]!;
      const value = object[key];
      if (value === null || value === undefined) {
        this.mark(2);
      } else if (Array.isArray(value)) {
        this.mark(3);
        this.mark(value.length);
        for (const item of value as unknown[]) {
          if (item === null || item === undefined) this.mark(4);
          else if (typeof item !== 'object' || Array.isArray(item) || !this.read(item as ResponseObject, inner)) return false;
        }
      } else if (typeof value === 'object') {
        this.mark(5);
        if (!this.read(value as ResponseObject, inner)) return false;
      } else return false;
    }
    return true;
  }
}

/** Every owner the walk will decide for, read once each (consent, ids) before it starts. */
async function prefetchOwners(data: ResponseObject, walk: ObjectPlan, ledger: PrivacyLedger): Promise<void> {
  const owners = new Set<string>();
  const visit = (value: unknown, plan: ObjectPlan): void => {
    if (value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, plan);
      return;
    }
    const object = value as ResponseObject;
    if (plan.values.length > 0) {
      const tag = object[OWNER_KEY] as OwnerTag | undefined;
      if (typeof tag === 'string') owners.add(tag);
      else if (Array.isArray(tag)) for (const owner of tag) owners.add(owner);
    }
    for (const child of plan.children) visit(object[child.key], child.plan);
  };
  visit(data, walk);
  await Promise.all([...owners].map((owner) => ledger.prefetchOwner(owner)));
}

/** Positions a plan keeps (see Position); past this, a walk makes the rest for its own request. */
export const MAX_POSITIONS_PER_PLAN = 10_000;

const ACTION_INDEX = { allow: 0, mask: 1, hash: 2 } as const;

/**
 * A position in the responses of one plan (`customer.identities.3`): its
 * audit path, written once, and the Release of each of its values per action,
 * made once, so that walking the same shape again allocates no string and
 * no record. Kept with the plan (and dropped with it, src/privacy/responsePlan.ts),
 * up to MAX_POSITIONS_PER_PLAN of them.
 */
class Position {
  /** By child index of the plan's children, then by list index for the items of a list. */
  private children: Array<Position | undefined> | undefined;
  private items: Array<Position | undefined> | undefined;
  /** By value index × 3 + action index. */
  private releases: Array<Release | undefined> | undefined;

  constructor(
    private readonly parent: Position | undefined,
    private readonly key: string | number | undefined,
    readonly dotted: string,
    private readonly budget: { left: number },
  ) {}

  child(index: number, key: string): Position {
    const known = this.children?.[index];
    if (known) return known;
    return this.keep((this.children ??= []), index, key, this.dotted === '' ? key : `${this.dotted}.${key}`);
  }

  item(index: number): Position {
    const known = this.items?.[index];
    if (known) return known;
    return this.keep((this.items ??= []), index, index, `${this.dotted}.${index}`);
  }

  release(index: number, field: WalkedValue, action: ReleaseAction): Release {
    const slot = index * 3 + ACTION_INDEX[action];
    const known = this.releases?.[slot];
    if (known) return known;
    const release = releaseOf(this.valuePath(field), field.piiClass, action);
    if (this.budget.left > 0) (this.releases ??= [])[slot] = release;
    return release;
  }

  valuePath(field: WalkedValue): string {
    return this.dotted === '' ? field.key : `${this.dotted}.${field.key}`;
  }

  /** The path as an array, for a withheld value's error. */
  pathTo(key: string): Array<string | number> {
    return [...this.path(), key];
  }

  /** Made once per position (a batch withholds hundreds of values at positions its plan keeps). */
  private keys: ReadonlyArray<string | number> | undefined;

  private path(): ReadonlyArray<string | number> {
    return (this.keys ??= this.parent && this.key !== undefined ? [...this.parent.path(), this.key] : []);
  }

  private keep(list: Array<Position | undefined>, index: number, key: string | number, dotted: string): Position {
    const position = new Position(this, key, dotted, this.budget);
    if (this.budget.left > 0) {
      this.budget.left--;
      list[index] = position;
    }
    return position;
  }
}

/**
 * What the walk keeps per plan, made on its first walk (a plan dropped from
 * the plans' LRU takes it along): the root of its positions, the classes of
 * its values, and the release lists of the shapes it has walked (ResponseShape).
 */
interface PlanState {
  readonly root: Position;
  readonly classes: readonly PiiClass[];
  readonly shapes: Map<number, KeptShape[]>;
  keptShapes: number;
}

const planStates = new WeakMap<ObjectPlan, PlanState>();

function stateOf(plan: ObjectPlan): PlanState {
  let state = planStates.get(plan);
  if (!state) {
    const classes = new Set<PiiClass>();
    const visit = (at: ObjectPlan): void => {
      for (const value of at.values) classes.add(value.piiClass);
      for (const child of at.children) visit(child.plan);
    };
    visit(plan);
    state = { root: new Position(undefined, undefined, '', { left: MAX_POSITIONS_PER_PLAN }), classes: [...classes], shapes: new Map(), keptShapes: 0 };
    planStates.set(plan, state);
  }
  return state;
}

class ResponseWalk {
  constructor(
    private readonly ledger: PrivacyLedger,
    private readonly withheld: GraphQLError[],
  ) {}

  object(object: ResponseObject, plan: ObjectPlan, at: Position): void {
    const { values, children } = plan;
    if (values.length > 0) {
      const tag = object[OWNER_KEY] as OwnerTag | undefined;
      // Left undefined rather than deleted (which slows the object down): JSON leaves it out.
      object[OWNER_KEY] = undefined;
      if (tag !== true) for (let i = 0; i < values.length; i++) this.value(object, values[i]!, i, tag ?? null, at);
    }
    for (let i = 0; i < children.length; i++) {
      const { key, plan: inner } = children[i]!;
      const value = object[key];
      if (value === null || value === undefined) continue;
      this.any(value, inner, at.child(i, key));
    }
  }

  private any(value: unknown, plan: ObjectPlan, at: Position): void {
    if (!Array.isArray(value)) {
      if (typeof value === 'object' && value !== null) this.object(value as ResponseObject, plan, at);
      return;
    }
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || item === undefined) continue;
      this.any(item, plan, at.item(i));
    }
  }

  private value(object: ResponseObject, field: WalkedValue, index: number, tag: Exclude<OwnerTag, true>, at: Position): void {
    const value = object[field.key];
    // A null value was never released, so it is not recorded.
    if (value === null || value === undefined) return;
    const owner = typeof tag === 'string' ? tag : undefined;
    const owners = typeof tag === 'string' || tag === null ? undefined : tag;
    const decision = owners ? this.jointDecision(owners, field.piiClass) : this.decide(owner, field.piiClass);
    if (decision.action === 'deny') {
      this.withhold(object, field, owners ?? [owner], decision.reason, at);
      return;
    }
    if (decision.action !== 'allow') {
      const redacted = redact(decision.action, value, field, this.ledger);
      // A value the action cannot carry (a hash in a Float) is withheld rather than released.
      if (!redacted.ok) {
        this.withhold(object, field, owners ?? [owner], 'POLICY_DENIES', at);
        return;
      }
      object[field.key] = redacted.value;
    }
    const release = at.release(index, field, decision.action);
    if (owners) for (const owner of owners) this.ledger.release(owner, release);
    else this.ledger.release(owner, release);
  }

  private decide(ownerId: string | undefined, piiClass: PiiClass): ReleaseDecision {
    const decision = this.ledger.decide(ownerId, piiClass);
    // Every owner's facts were read before the walk; a decision still waiting is a bug, and fails the walk (closed).
    if (decision instanceof Promise) throw new Error('a privacy decision was not ready for the walk');
    return decision;
  }

  /**
   * A value about several customers is released only as far as it may be for
   * each of them: withheld when any decision withholds it, otherwise under
   * the policy's action, which is the same for all.
   */
  private jointDecision(owners: readonly string[], piiClass: PiiClass): ReleaseDecision {
    let first: ReleaseDecision | undefined;
    for (const owner of owners) {
      const decision = this.decide(owner, piiClass);
      if (decision.action === 'deny') return decision;
      first ??= decision;
    }
    return first ?? this.decide(undefined, piiClass);
  }

  private withhold(object: ResponseObject, field: WalkedValue, owners: ReadonlyArray<string | undefined>, reason: WithholdReason, at: Position): void {
    object[field.key] = null;
    const dotted = at.valuePath(field);
    for (const owner of owners) this.ledger.recordWalked(new WalkedOutcome(dotted, field.piiClass, 'deny', reason, owner));
    this.withheld.push(piiAccessDeniedAt(reason, field.piiClass, this.ledger.purpose, at.pathTo(field.key), field.locations));
  }
}

function redact(action: 'mask' | 'hash', value: unknown, field: WalkedValue, ledger: PrivacyLedger): Redacted {
  const one = (item: unknown): Redacted => {
    // The serialized form of a date (graphql-scalars hands out Date objects) written as the stored text it came from.
    const stored = item instanceof Date && field.shape === 'date' ? item.toISOString().slice(0, 10) : item;
    return action === 'mask' ? maskValue(stored, field.shape) : hashValue(stored, field.shape, ledger.redactOptions);
  };
  if (!field.list || !Array.isArray(value)) return one(value);
  const items = value.map((item) => (item === null || item === undefined ? { ok: true as const, value: item } : one(item)));
  return items.every((item) => item.ok) ? { ok: true, value: items.map((item) => (item.ok ? item.value : null)) } : { ok: false };
}
