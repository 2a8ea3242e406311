import { GraphQLError } from 'graphql';
import type { ExecutionResult } from 'graphql';
import type { PiiClass } from '../domain/index.js';
import { piiAccessDeniedAt } from '../errors.js';
import { WalkedOutcome } from './ledger.js';
import type { PrivacyLedger } from './ledger.js';
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
 * value in place, recording it for the audit in the same step. Decisions
 * that depend only on the purpose and class were made once for the policy
 * (plannedDecisions); per customer, consent is read once, before the walk.
 *
 * Fail closed: if anything goes wrong, the response carries no data at all.
 */
export async function decideResponse(result: ExecutionResult, walk: ObjectPlan, ledger: PrivacyLedger): Promise<ExecutionResult> {
  try {
    const data = result.data as ResponseObject | null | undefined;
    if (data) {
      if (ledger.readsOwners) await prefetchOwners(data, walk, ledger);
      const withheld: GraphQLError[] = [];
      new ResponseWalk(ledger, withheld).object(data, walk, '', []);
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

class ResponseWalk {
  constructor(
    private readonly ledger: PrivacyLedger,
    private readonly withheld: GraphQLError[],
  ) {}

  /** `dotted` is the object's path as the audit writes it; `path` the same as an array, for a withheld value's error. */
  object(object: ResponseObject, plan: ObjectPlan, dotted: string, path: Array<string | number>): void {
    const { values, children } = plan;
    if (values.length > 0) {
      const tag = object[OWNER_KEY] as OwnerTag | undefined;
      // Left undefined rather than deleted (which slows the object down): JSON leaves it out.
      object[OWNER_KEY] = undefined;
      if (tag !== true) for (let i = 0; i < values.length; i++) this.value(object, values[i]!, tag ?? null, dotted, path);
    }
    for (let i = 0; i < children.length; i++) {
      const { key, plan: inner } = children[i]!;
      const value = object[key];
      if (value === null || value === undefined) continue;
      path.push(key);
      this.any(value, inner, dotted === '' ? key : `${dotted}.${key}`, path);
      path.pop();
    }
  }

  private any(value: unknown, plan: ObjectPlan, dotted: string, path: Array<string | number>): void {
    if (!Array.isArray(value)) {
      if (typeof value === 'object' && value !== null) this.object(value as ResponseObject, plan, dotted, path);
      return;
    }
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (item === null || item === undefined) continue;
      path.push(i);
      this.any(item, plan, `${dotted}.${i}`, path);
      path.pop();
    }
  }

  private value(object: ResponseObject, field: WalkedValue, tag: Exclude<OwnerTag, true>, dotted: string, path: Array<string | number>): void {
    const value = object[field.key];
    // A null value was never released, so it is not recorded.
    if (value === null || value === undefined) return;
    const owner = typeof tag === 'string' ? tag : undefined;
    const owners = typeof tag === 'string' || tag === null ? undefined : tag;
    const decision = owners ? this.jointDecision(owners, field.piiClass) : this.decide(owner, field.piiClass);
    const at = dotted === '' ? field.key : `${dotted}.${field.key}`;
    if (decision.action === 'deny') {
      this.withhold(object, field, owners ?? [owner], decision.reason, at, path);
      return;
    }
    if (decision.action !== 'allow') {
      const redacted = redact(decision.action, value, field, this.ledger);
      // A value the action cannot carry (a hash in a Float) is withheld rather than released.
      if (!redacted.ok) {
        this.withhold(object, field, owners ?? [owner], 'POLICY_DENIES', at, path);
        return;
      }
      object[field.key] = redacted.value;
    }
    const reason = decision.action === 'allow' ? undefined : decision.reason;
    if (owners) for (const owner of owners) this.ledger.recordWalked(new WalkedOutcome(at, field.piiClass, decision.action, reason, owner));
    else this.ledger.recordWalked(new WalkedOutcome(at, field.piiClass, decision.action, reason, owner));
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

  private withhold(
    object: ResponseObject,
    field: WalkedValue,
    owners: ReadonlyArray<string | undefined>,
    reason: WithholdReason,
    dotted: string,
    path: Array<string | number>,
  ): void {
    object[field.key] = null;
    for (const owner of owners) this.ledger.recordWalked(new WalkedOutcome(dotted, field.piiClass, 'deny', reason, owner));
    this.withheld.push(piiAccessDeniedAt(reason, field.piiClass, this.ledger.purpose, [...path, field.key], field.locations));
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
