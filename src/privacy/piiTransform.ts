import { MapperKind, getDirective, mapSchema } from '@graphql-tools/utils';
import { GraphQLList, GraphQLNonNull, defaultFieldResolver, getNamedType, isObjectType, isScalarType, responsePathAsArray } from 'graphql';
import type { GraphQLFieldResolver, GraphQLOutputType, GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import type { GatewayContext } from '../context.js';
import { piiAccessDenied } from '../errors.js';
import type { FieldOutcome } from './ledger.js';
import { PII_CLASSES } from './policy.js';
import type { PiiClass } from './policy.js';
import { hashValue, maskValue } from './redact.js';
import type { RedactOptions, Redacted, ValueShape } from './redact.js';
import type { ReleaseDecision } from './releaseDecision.js';

export type PiiTransformOptions = RedactOptions;

/**
 * The enforcement point for personal data: every field marked
 * `@pii(class: …)` gets its resolver wrapped, so no resolver has to know about
 * purposes, consent or policy. The wrapper asks the request's PrivacyLedger
 * for a decision (from the parent's `ownerId`), withholds the field with
 * PII_ACCESS_DENIED, or resolves it and returns the value as is, masked or
 * hashed, recording what it did for `extensions.privacy` and the audit.
 */
export function applyPiiEnforcement(schema: GraphQLSchema, options: PiiTransformOptions): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const pii = getDirective(schema, fieldConfig, 'pii')?.[0];
      if (!pii) return fieldConfig;
      const coordinate = `${typeName}.${fieldName}`;
      if (fieldConfig.type instanceof GraphQLNonNull) {
        throw new Error(`${coordinate} is @pii but non-null; a withheld field must be able to be null without nulling its parent.`);
      }
      const piiClass = pii.class as PiiClass;
      if (!PII_CLASSES.includes(piiClass)) throw new Error(`${coordinate} has an unknown PII class.`);
      const shape = valueShapeOf(fieldConfig.type);
      return { ...fieldConfig, resolve: guardedResolver(fieldConfig.resolve ?? defaultFieldResolver, piiClass, shape, options) };
    },
  });
}

interface FieldShape {
  readonly shape: ValueShape;
  readonly list: boolean;
}

function valueShapeOf(type: GraphQLOutputType): FieldShape {
  const list = (type instanceof GraphQLNonNull ? type.ofType : type) instanceof GraphQLList;
  const named = getNamedType(type);
  if (isObjectType(named)) return { shape: 'object', list };
  if (!isScalarType(named)) return { shape: 'other', list };
  const byName: Record<string, ValueShape> = { String: 'string', ID: 'string', Date: 'date', DateTime: 'dateTime', Float: 'number', Int: 'number', JSON: 'json' };
  return { shape: byName[named.name] ?? 'other', list };
}

function guardedResolver(
  resolve: GraphQLFieldResolver<unknown, GatewayContext>,
  piiClass: PiiClass,
  field: FieldShape,
  options: RedactOptions,
): GraphQLFieldResolver<unknown, GatewayContext> {
  return (source, args, ctx, info) => {
    const ownerId = ownerOf(source);
    const decided = ctx.privacy.decide(ownerId, piiClass);
    const release = (decision: ReleaseDecision) => {
      if (decision.action === 'deny') return withhold(ctx, info, { piiClass, ownerId, reason: decision.reason });
      const value = resolve(source, args, ctx, info);
      return value instanceof Promise
        ? value.then((resolved) => present(ctx, info, decision, resolved, { piiClass, ownerId, field, options }))
        : present(ctx, info, decision, value, { piiClass, ownerId, field, options });
    };
    return decided instanceof Promise ? decided.then(release) : release(decided);
  };
}

interface FieldFacts {
  readonly piiClass: PiiClass;
  readonly ownerId: string | undefined;
  readonly field: FieldShape;
  readonly options: RedactOptions;
}

/** The value as the decision allows it; a null value was never released, so it is not recorded. */
function present(ctx: GatewayContext, info: GraphQLResolveInfo, decision: Exclude<ReleaseDecision, { action: 'deny' }>, value: unknown, facts: FieldFacts): unknown {
  if (value === null || value === undefined) return value;
  const { piiClass, ownerId } = facts;
  if (decision.action === 'allow') {
    ctx.privacy.record({ path: responsePathAsArray(info.path), piiClass, decision: 'allow', ownerId });
    return value;
  }
  const redacted = redact(decision.action, value, facts);
  // A value the action cannot carry (a hash in a Float) is withheld rather than released.
  if (!redacted.ok) return withhold(ctx, info, { piiClass, ownerId, reason: 'POLICY_DENIES' });
  ctx.privacy.record({ path: responsePathAsArray(info.path), piiClass, decision: decision.action, reason: decision.reason, ownerId });
  return redacted.value;
}

function redact(action: 'mask' | 'hash', value: unknown, facts: FieldFacts): Redacted {
  const one = (item: unknown): Redacted => (action === 'mask' ? maskValue(item, facts.field.shape) : hashValue(item, facts.field.shape, facts.options));
  if (!facts.field.list || !Array.isArray(value)) return one(value);
  const items = value.map((item) => (item === null || item === undefined ? { ok: true as const, value: item } : one(item)));
  return items.every((item) => item.ok) ? { ok: true, value: items.map((item) => (item.ok ? item.value : null)) } : { ok: false };
}

function withhold(ctx: GatewayContext, info: GraphQLResolveInfo, outcome: Pick<FieldOutcome, 'piiClass' | 'ownerId'> & { reason: NonNullable<FieldOutcome['reason']> }): never {
  ctx.privacy.record({ path: responsePathAsArray(info.path), decision: 'deny', ...outcome });
  throw piiAccessDenied(outcome.reason, outcome.piiClass, ctx.privacy.purpose);
}

/** Every model with personal fields carries its owner (src/models.ts); one without is decided as an unknown owner. */
function ownerOf(source: unknown): string | undefined {
  const ownerId = (source as { ownerId?: unknown } | null)?.ownerId;
  return typeof ownerId === 'string' ? ownerId : undefined;
}
