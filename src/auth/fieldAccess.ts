import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver } from 'graphql';
import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';
import type { SchemaVariant } from '../graphql/executor.js';
import { PlanCache, selectedCoordinates } from '../graphql/operationPlan.js';
import type { GatewayContext } from '../context.js';
import { forbidden } from '../errors.js';
import { isWriteOutcome } from '../models.js';
import type { Principal } from './principal.js';
import type { Scope } from './scopes.js';

type PrincipalKind = Principal['kind'];

export interface FieldAccess {
  /** The scope the principal must hold; null for fields any authenticated principal may use. */
  readonly scope: Scope | null;
  /** Which kinds of principal may use the field at all; every kind when absent. */
  readonly principals?: readonly PrincipalKind[];
}

const STAFF: readonly PrincipalKind[] = ['apiKey', 'agent'];

/**
 * Who may use which field, in one table (docs/security.md, "Scopes"). Every
 * root field must have a row: the schema transform refuses to start without
 * one, so a new root field is never open by accident. Nested fields need a
 * row only when they ask for more than their type's scope (TYPE_ACCESS).
 *
 * Customer tokens read only `me` (and `viewer`): the other root fields name
 * any customer.
 */
export const FIELD_ACCESS: Readonly<Record<string, FieldAccess>> = {
  'Query.viewer': { scope: null },
  'Query.customer': { scope: 'customer:read', principals: STAFF },
  'Query.customerByIdentity': { scope: 'customer:read', principals: STAFF },
  'Query.customers': { scope: 'customer:read', principals: STAFF },
  'Query.me': { scope: 'customer:read', principals: ['customer'] },
  'Query.segments': { scope: 'segments:read', principals: STAFF },
  'Query.segment': { scope: 'segments:read', principals: STAFF },
  // A segment's members are customers: listing them needs customer:read beside the segment's segments:read.
  'Segment.members': { scope: 'customer:read' },
  'Query.auditTrail': { scope: 'audit:read', principals: STAFF },
  'Query.explainLink': { scope: 'identity:read', principals: STAFF },
  'Query.mergeSuggestions': { scope: 'identity:read', principals: STAFF },
  // A suggestion's two customers are customers: reading them needs customer:read beside the suggestion's identity:read.
  'MergeSuggestion.customers': { scope: 'customer:read' },
  'Customer.events': { scope: 'events:read' },
  'Customer.segments': { scope: 'segments:read' },
  'Customer.consents': { scope: 'consent:read' },
  'Customer.consentHistory': { scope: 'consent:read' },
  'Customer.identityGraph': { scope: 'identity:read' },
  'Mutation.identify': { scope: 'identity:write', principals: STAFF },
  'Mutation.track': { scope: 'events:write', principals: STAFF },
  'Mutation.setConsent': { scope: 'consent:write', principals: STAFF },
  'Mutation.forgetCustomer': { scope: 'erasure:write', principals: STAFF },
  'Mutation.liftSuppression': { scope: 'erasure:write', principals: STAFF },
  'Mutation.unmerge': { scope: 'identity:write', principals: STAFF },
  'Mutation.acceptMergeSuggestion': { scope: 'identity:write', principals: STAFF },
  'Mutation.rejectMergeSuggestion': { scope: 'identity:write', principals: STAFF },
};

/**
 * Scopes guard types, not only root fields: reading any field of a type
 * below needs its scope, wherever the type appears (a query, a mutation's
 * result, an unmerge, an identity graph, a type added later that returns a
 * Customer). `open` lists the fields that need none: the id of the customer
 * a write touched is part of the write's outcome. A field's own row in
 * FIELD_ACCESS adds to its type's scope (`Customer.events` needs
 * customer:read and events:read).
 */
export interface TypeAccess {
  readonly scope: Scope;
  readonly open?: readonly string[];
}

export const TYPE_ACCESS: Readonly<Record<string, TypeAccess>> = {
  Customer: { scope: 'customer:read', open: ['id'] },
  Profile: { scope: 'customer:read' },
  Address: { scope: 'customer:read' },
  Identity: { scope: 'customer:read' },
  Traits: { scope: 'customer:read' },
  LoyaltyAccount: { scope: 'customer:read' },
  CrmRecord: { scope: 'customer:read' },
  SupportCase: { scope: 'customer:read' },
  EventConnection: { scope: 'events:read' },
  EventEdge: { scope: 'events:read' },
  Event: { scope: 'events:read' },
  SegmentMembership: { scope: 'segments:read' },
  Segment: { scope: 'segments:read' },
  SegmentMemberConnection: { scope: 'segments:read' },
  SegmentMemberEdge: { scope: 'segments:read' },
  Consent: { scope: 'consent:read' },
  ConsentChange: { scope: 'consent:read' },
  IdentityGraph: { scope: 'identity:read' },
  IdentityNode: { scope: 'identity:read' },
  IdentityEdge: { scope: 'identity:read' },
  IdentityChange: { scope: 'identity:read' },
  LinkExplanation: { scope: 'identity:read' },
  ExplainedIdentifier: { scope: 'identity:read' },
  AuditConnection: { scope: 'audit:read' },
  AuditEdge: { scope: 'audit:read' },
  AuditRecord: { scope: 'audit:read' },
  FieldDecision: { scope: 'audit:read' },
  // Which customers may be one person: identity data. rejectMergeSuggestion answers the suggestion it decided,
  // whose id, status and customer ids are that write's outcome.
  MergeSuggestionConnection: { scope: 'identity:read' },
  MergeSuggestionEdge: { scope: 'identity:read' },
  MergeSuggestion: { scope: 'identity:read', open: ['id', 'status', 'customerIds'] },
  MatchEvidence: { scope: 'identity:read' },
};

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/**
 * Wraps every field that has a row in `table`, or whose type has one in
 * `types`, with its check; throws at start for a root field without a row.
 */
export function applyFieldAccess(
  schema: GraphQLSchema,
  table: Readonly<Record<string, FieldAccess>> = FIELD_ACCESS,
  types: Readonly<Record<string, TypeAccess>> = TYPE_ACCESS,
): GraphQLSchema {
  for (const name of Object.keys(types)) if (!schema.getType(name)) throw new Error(`TYPE_ACCESS names ${name}, which the schema does not have.`);
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const coordinate = `${typeName}.${fieldName}`;
      const rule = table[coordinate];
      const type = types[typeName];
      const typeScope = type && !type.open?.includes(fieldName) ? type.scope : null;
      if (!rule && ROOT_TYPES.has(typeName)) throw new Error(`${coordinate} has no row in FIELD_ACCESS (src/auth/fieldAccess.ts); every root field needs one.`);
      if (!rule && typeScope === null) return fieldConfig;
      return { ...fieldConfig, resolve: checkedResolver(fieldConfig.resolve ?? defaultFieldResolver, rule ?? { scope: null }, typeScope, fieldName) };
    },
  });
}

/**
 * Whether the principal may use the field, decided from the table alone —
 * what the checked resolver enforces, without its one exception (a write's
 * echo of its own outcome, which the resolver lets through at run time).
 * The operation plan uses it: an operation whose every field this allows
 * needs no check per field (src/graphql/operationPlan.ts).
 */
export function mayUseField(
  typeName: string,
  fieldName: string,
  principal: Pick<Principal, 'kind' | 'scopes'>,
  table: Readonly<Record<string, FieldAccess>> = FIELD_ACCESS,
  types: Readonly<Record<string, TypeAccess>> = TYPE_ACCESS,
): boolean {
  const rule = table[`${typeName}.${fieldName}`];
  const type = types[typeName];
  const typeScope = type && !type.open?.includes(fieldName) ? type.scope : null;
  if (rule?.principals && !rule.principals.includes(principal.kind)) return false;
  if (typeScope !== null && !principal.scopes.has(typeScope)) return false;
  return !rule?.scope || principal.scopes.has(rule.scope);
}

/**
 * Scopes decided once per operation: the first time a document and
 * operation runs for a kind of principal with a set of scopes, every field it
 * can select is looked up in the table (mayUseField) and the answer kept.
 * When all are allowed — every request of a well-behaved client — it runs on
 * `unchecked`, the same schema without the per-field check; otherwise on
 * `checked`, where each field refuses itself (FORBIDDEN) as before.
 */
export function scopePlan(checked: GraphQLSchema, unchecked: GraphQLSchema): SchemaVariant {
  const plans = new PlanCache<boolean>();
  const signatures = new WeakMap<Principal, string>();
  const CHECKED = { key: 'checked', schema: checked };
  const UNCHECKED = { key: 'unchecked', schema: unchecked };
  return ({ document, queryHash, operationName, context }) => {
    const { principal } = context as GatewayContext;
    let signature = signatures.get(principal);
    if (signature === undefined) {
      signature = `${principal.kind}|${[...principal.scopes].sort().join(',')}`;
      signatures.set(principal, signature);
    }
    const allowed = plans.get(document, queryHash, operationName, signature, () =>
      selectedCoordinates(checked, document, operationName).every(([type, field]) => mayUseField(type, field, principal)),
    );
    return allowed ? UNCHECKED : CHECKED;
  };
}

function checkedResolver(
  resolve: GraphQLFieldResolver<unknown, GatewayContext>,
  rule: FieldAccess,
  typeScope: Scope | null,
  field: string,
): GraphQLFieldResolver<unknown, GatewayContext> {
  const scopes = [...new Set([typeScope, rule.scope].filter((scope): scope is Scope => scope !== null))];
  return (source, args, ctx, info) => {
    const { principal } = ctx;
    if (rule.principals && !rule.principals.includes(principal.kind)) {
      throw forbidden(
        principal.kind === 'customer'
          ? `${field} is not available to customer tokens; a customer reads their own record through me.`
          : `${field} is only for end-user (customer) tokens.`,
      );
    }
    for (const scope of scopes) {
      // setConsent's echo of the decision it recorded is the write's outcome, not a read.
      if (scope === typeScope && rule.scope !== scope && isWriteOutcome(source)) continue;
      if (!principal.scopes.has(scope)) throw forbidden(`${field} needs the scope ${scope}.`, { scope });
    }
    return resolve(source, args, ctx, info);
  };
}
