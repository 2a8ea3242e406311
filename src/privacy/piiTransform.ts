import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver, responsePathAsArray } from 'graphql';
import type { GraphQLFieldResolver, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import { fieldLocations } from '../graphql/selection.js';
import type { GatewayContext } from '../context.js';
import { isWriteOutcome } from '../models.js';
import { classifySchema } from './classification.js';
import type { PersonalField } from './classification.js';
import type { FieldOutcome } from './ledger.js';
import type { PiiClass } from '../domain/index.js';
import { hashValue, maskValue } from './redact.js';
import type { Redacted } from './redact.js';
import type { ReleaseDecision } from './releaseDecision.js';
import type { TrackingPlan } from './trackingPlan.js';
import type { WalkedFields } from './responsePlan.js';

export interface PiiTransformOptions {
  /** Region for phone numbers without a country code, as identity resolution uses it. */
  readonly phoneRegion: string;
  /** Classes of event properties (Event.properties is @trackedProperties). */
  readonly trackingPlan: TrackingPlan;
  /**
   * Personal values left to the response walk (src/privacy/responseWalk.ts):
   * their resolvers are not wrapped. Absent: every personal field decides
   * itself (the schema for operations the walk cannot plan).
   */
  readonly walked?: WalkedFields;
}

/**
 * The enforcement point for personal data: every field marked
 * `@pii(class: …)` gets its resolver wrapped, so no resolver has to know about
 * purposes, consent or policy. The wrapper asks the request's PrivacyLedger
 * for a decision (from the parent's owner), withholds the field with
 * PII_ACCESS_DENIED, or resolves it and returns the value as is, masked or
 * hashed, recording what it did for `extensions.privacy` and the audit.
 *
 * The schema is classified first (classification.ts): a field that says
 * neither @pii nor @notPersonal stops the start. A @pii field that is a part
 * of the customer (loyalty, the list of identities) is released or withheld
 * as a whole, and its own fields are then decided each by its class; event
 * properties are decided one by one by the tracking plan's classes.
 */
export function applyPiiEnforcement(schema: GraphQLSchema, options: PiiTransformOptions): GraphQLSchema {
  const classification = classifySchema(schema);
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const personal = classification.get(`${typeName}.${fieldName}`);
      if (!personal || options.walked?.has(`${typeName}.${fieldName}`)) return fieldConfig;
      return { ...fieldConfig, resolve: guardedResolver(fieldConfig.resolve ?? defaultFieldResolver, personal, options) };
    },
  });
}

function guardedResolver(
  resolve: GraphQLFieldResolver<unknown, GatewayContext>,
  field: PersonalField,
  options: PiiTransformOptions,
): GraphQLFieldResolver<unknown, GatewayContext> {
  const { piiClass } = field;
  // A plain value of one customer: decided (once per class, or per customer where consent counts) and recorded at its path node.
  const plainValue = field.kind === 'value' && !field.list;
  return (source, args, ctx, info) => {
    // setConsent's echo of the caller's own decision: the write's outcome, not a read of the customer.
    if (isWriteOutcome(source)) return resolve(source, args, ctx, info);
    const coOwners = coOwnersOf(source);
    const ownerId = coOwners ? coOwners[0] : ownerOf(source);
    const decided = coOwners ? jointDecision(ctx, coOwners, piiClass) : ctx.privacy.decide(ownerId, piiClass);
    // The common cases, one owner and a decision already made: a plain value, or a part (loyalty, the identities), without building facts.
    if (!coOwners && !(decided instanceof Promise) && (plainValue || field.kind === 'part')) {
      if (decided.action === 'deny') return withhold(ctx, info, { piiClass, ownerId, reason: decided.reason });
      const value = resolve(source, args, ctx, info);
      if (plainValue) {
        const valueField = field as Extract<PersonalField, { kind: 'value' }>;
        return value instanceof Promise
          ? value.then((resolved) => presentValue(ctx, info, decided, resolved, valueField, ownerId))
          : presentValue(ctx, info, decided, value, valueField, ownerId);
      }
      return value instanceof Promise ? value.then((resolved) => presentPart(ctx, info, resolved, piiClass, ownerId)) : presentPart(ctx, info, value, piiClass, ownerId);
    }
    const release = (decision: ReleaseDecision) => {
      if (decision.action === 'deny') return withhold(ctx, info, { piiClass, ownerId, reason: decision.reason });
      const value = resolve(source, args, ctx, info);
      const facts: FieldFacts = { piiClass, ownerId, coOwners, field, options, source };
      return value instanceof Promise ? value.then((resolved) => present(ctx, info, decision, resolved, facts)) : present(ctx, info, decision, value, facts);
    };
    return decided instanceof Promise ? decided.then(release) : release(decided);
  };
}

/** present() for a plain value of one owner, without building its facts. */
function presentValue(
  ctx: GatewayContext,
  info: GraphQLResolveInfo,
  decision: Exclude<ReleaseDecision, { action: 'deny' }>,
  value: unknown,
  field: Extract<PersonalField, { kind: 'value' }>,
  ownerId: string | undefined,
): unknown {
  if (value === null || value === undefined) return value;
  if (decision.action === 'allow') {
    ctx.privacy.recordAt(info.path, field.piiClass, decision, ownerId);
    return value;
  }
  const redacted = redact(ctx, decision.action, value, field);
  if (!redacted.ok) return withhold(ctx, info, { piiClass: field.piiClass, ownerId, reason: 'POLICY_DENIES' });
  ctx.privacy.recordAt(info.path, field.piiClass, decision, ownerId);
  return redacted.value;
}

/** present() for a part of one owner: its presence is released as it is (its own fields are decided each by its class). */
function presentPart(ctx: GatewayContext, info: GraphQLResolveInfo, value: unknown, piiClass: PiiClass, ownerId: string | undefined): unknown {
  if (value === null || value === undefined) return value;
  ctx.privacy.recordAt(info.path, piiClass, ALLOW, ownerId);
  return value;
}

interface FieldFacts {
  readonly piiClass: PiiClass;
  readonly ownerId: string | undefined;
  /** Set for a field about several customers (a merge suggestion's evidence): released once, recorded for each. */
  readonly coOwners: readonly string[] | undefined;
  readonly field: PersonalField;
  readonly options: PiiTransformOptions;
  readonly source: unknown;
}

/**
 * A field about several customers is released only as far as it may be for
 * each of them: withheld when any decision withholds it (a consent-bound
 * purpose needs every one's consent), otherwise under the policy's action,
 * which is the same for all (it depends on the purpose and class alone).
 */
function jointDecision(ctx: GatewayContext, owners: readonly string[], piiClass: PiiClass): ReleaseDecision | Promise<ReleaseDecision> {
  const decisions = owners.map((owner) => ctx.privacy.decide(owner, piiClass));
  const strictest = (settled: readonly ReleaseDecision[]) => settled.find((decision) => decision.action === 'deny') ?? settled[0]!;
  return decisions.some((decision) => decision instanceof Promise) ? Promise.all(decisions).then(strictest) : strictest(decisions as ReleaseDecision[]);
}

/** Records a release for the field's owner, or for each of its co-owners, so each one's audit trail has it. */
function recordRelease(ctx: GatewayContext, facts: FieldFacts, outcome: Omit<FieldOutcome, 'ownerId' | 'piiClass'>): void {
  if (!facts.coOwners) {
    ctx.privacy.record({ ...outcome, piiClass: facts.piiClass, ownerId: facts.ownerId });
    return;
  }
  for (const ownerId of facts.coOwners) ctx.privacy.record({ ...outcome, piiClass: facts.piiClass, ownerId });
}

/** The value as the decision allows it; a null value was never released, so it is not recorded. */
function present(ctx: GatewayContext, info: GraphQLResolveInfo, decision: Exclude<ReleaseDecision, { action: 'deny' }>, value: unknown, facts: FieldFacts): unknown {
  if (value === null || value === undefined) return value;
  const { piiClass, ownerId, field } = facts;
  // A part's presence is released as it is: what the policy masks or hashes are its fields, decided on their own.
  if (decision.action === 'allow' || field.kind !== 'value') {
    if (facts.coOwners) {
      recordRelease(ctx, facts, { path: responsePathAsArray(info.path), decision: 'allow' });
      return field.kind === 'trackedProperties' ? presentProperties(ctx, info.path, value, facts) : value;
    }
    if (field.kind === 'trackedProperties') {
      ctx.privacy.recordAt(info.path, piiClass, ALLOW, ownerId);
      return presentProperties(ctx, info.path, value, facts);
    }
    ctx.privacy.recordAt(info.path, piiClass, ALLOW, ownerId);
    return value;
  }
  const redacted = redact(ctx, decision.action, value, field);
  // A value the action cannot carry (a hash in a Float) is withheld rather than released.
  if (!redacted.ok) return withhold(ctx, info, { piiClass, ownerId, reason: 'POLICY_DENIES' });
  if (facts.coOwners) recordRelease(ctx, facts, { path: responsePathAsArray(info.path), decision: decision.action, reason: decision.reason });
  else ctx.privacy.recordAt(info.path, piiClass, decision, ownerId);
  return redacted.value;
}

const ALLOW = { action: 'allow' } as const;

function redact(ctx: GatewayContext, action: 'mask' | 'hash', value: unknown, field: Extract<PersonalField, { kind: 'value' }>): Redacted {
  const options = ctx.privacy.redactOptions;
  const one = (item: unknown): Redacted => (action === 'mask' ? maskValue(item, field.shape) : hashValue(item, field.shape, options));
  if (!field.list || !Array.isArray(value)) return one(value);
  const items = value.map((item) => (item === null || item === undefined ? { ok: true as const, value: item } : one(item)));
  return items.every((item) => item.ok) ? { ok: true, value: items.map((item) => (item.ok ? item.value : null)) } : { ok: false };
}

/**
 * Event properties, each by the class the tracking plan gives it for the
 * event's type (SENSITIVE when it declares none). A withheld property is
 * null; its error and privacy entry name the property's path.
 */
function presentProperties(ctx: GatewayContext, node: GraphQLResolveInfo['path'], value: unknown, facts: FieldFacts): unknown {
  if (typeof value !== 'object' || Array.isArray(value)) return null; // track stores objects only
  const eventType = (facts.source as { type?: unknown } | null)?.type;
  const type = typeof eventType === 'string' ? eventType : '';
  const properties = value as Record<string, unknown>;
  const names = Object.keys(properties);
  const classes = names.map((name) => facts.options.trackingPlan.classOf(type, name));
  const decisions = classes.map((piiClass) => ctx.privacy.decide(facts.ownerId, piiClass));
  const build = (settled: readonly ReleaseDecision[]) => {
    const presented: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const shown = presentProperty(ctx, node, name, properties[name], classes[i]!, settled[i]!, facts.ownerId);
      // A property named `__proto__` stays an own property (assignment would set the prototype).
      if (name === '__proto__') Object.defineProperty(presented, name, { value: shown, enumerable: true, writable: true, configurable: true });
      else presented[name] = shown;
    }
    return presented;
  };
  if (decisions.every((decision) => !(decision instanceof Promise))) return build(decisions as readonly ReleaseDecision[]);
  return Promise.all(decisions).then(build);
}

/** A property's release is recorded as its field's path and its name (a shared Release); a withheld one with its path as an array, for its error. */
function presentProperty(ctx: GatewayContext, node: GraphQLResolveInfo['path'], name: string, value: unknown, piiClass: PiiClass, decision: ReleaseDecision, ownerId: string | undefined): unknown {
  const withheld = (reason: NonNullable<FieldOutcome['reason']>): null => {
    ctx.privacy.record({ path: [...responsePathAsArray(node), name], piiClass, decision: 'deny', reason, ownerId, insideValue: true });
    return null;
  };
  if (decision.action === 'deny') return withheld(decision.reason);
  if (value === null || value === undefined) return value;
  if (decision.action === 'allow') {
    ctx.privacy.recordInside(node, name, piiClass, 'allow', ownerId);
    return value;
  }
  const redacted = decision.action === 'mask' ? maskValue(value, 'json') : hashValue(value, 'json', ctx.privacy.redactOptions);
  if (!redacted.ok) return withheld('POLICY_DENIES');
  ctx.privacy.recordInside(node, name, piiClass, decision.action, ownerId);
  return redacted.value;
}

/**
 * The field is null, and its PII_ACCESS_DENIED error is added to the response
 * by the privacy plugin (src/privacy/plugin.ts) rather than thrown: a
 * partner's batch withholds hundreds of parts, and a throw, the executor's
 * catch and the located error it builds cost about 6 % of such a batch's CPU.
 */
function withhold(ctx: GatewayContext, info: GraphQLResolveInfo, outcome: Pick<FieldOutcome, 'piiClass' | 'ownerId'> & { reason: NonNullable<FieldOutcome['reason']> }): null {
  ctx.privacy.record({ path: responsePathAsArray(info.path), decision: 'deny', ...outcome, insideValue: true, locations: info.fieldNodes[0] && fieldLocations(info.fieldNodes[0]) });
  return null;
}

/**
 * Every model with personal fields carries its owner (src/models.ts); a
 * Customer is owned by its record's id. One without is decided as an unknown
 * owner: a customer with no consents and no ids, so nothing consent-bound or
 * own-record-only is released for it. A model about several customers (a
 * merge suggestion) carries `ownerIds` instead (coOwnersOf).
 */
function ownerOf(source: unknown): string | undefined {
  if (source === null || typeof source !== 'object') return undefined;
  const { ownerId, record } = source as { ownerId?: unknown; record?: { id?: unknown } };
  if (typeof ownerId === 'string') return ownerId;
  return typeof record?.id === 'string' ? record.id : undefined;
}

/** The customers a model about several of them belongs to (src/models.ts, CoOwned); undefined for every other model. */
function coOwnersOf(source: unknown): readonly string[] | undefined {
  if (source === null || typeof source !== 'object') return undefined;
  const { ownerIds } = source as { ownerIds?: unknown };
  return Array.isArray(ownerIds) && ownerIds.length > 0 ? (ownerIds as string[]) : undefined;
}
