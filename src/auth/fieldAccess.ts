import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { defaultFieldResolver } from 'graphql';
import type { GraphQLFieldResolver, GraphQLSchema } from 'graphql';
import type { GatewayContext } from '../context.js';
import { forbidden } from '../errors.js';
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
 * row only when they ask for more than the root field's scope.
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
  'Query.auditTrail': { scope: 'audit:read', principals: STAFF },
  'Query.explainLink': { scope: 'identity:read', principals: STAFF },
  'Query.mergeSuggestions': { scope: 'identity:read', principals: STAFF },
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

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

/** Wraps every field that has a row in `table` with its check; throws at start for a root field without one. */
export function applyFieldAccess(schema: GraphQLSchema, table: Readonly<Record<string, FieldAccess>> = FIELD_ACCESS): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (fieldConfig, fieldName, typeName) => {
      const coordinate = `${typeName}.${fieldName}`;
      const rule = table[coordinate];
      if (!rule) {
        if (ROOT_TYPES.has(typeName)) throw new Error(`${coordinate} has no row in FIELD_ACCESS (src/auth/fieldAccess.ts); every root field needs one.`);
        return fieldConfig;
      }
      return { ...fieldConfig, resolve: checkedResolver(fieldConfig.resolve ?? defaultFieldResolver, rule, coordinate) };
    },
  });
}

function checkedResolver(
  resolve: GraphQLFieldResolver<unknown, GatewayContext>,
  rule: FieldAccess,
  coordinate: string,
): GraphQLFieldResolver<unknown, GatewayContext> {
  const field = coordinate.split('.')[1];
  return (source, args, ctx, info) => {
    const { principal } = ctx;
    if (rule.principals && !rule.principals.includes(principal.kind)) {
      throw forbidden(
        principal.kind === 'customer'
          ? `${field} is not available to customer tokens; a customer reads their own record through me.`
          : `${field} is only for end-user (customer) tokens.`,
      );
    }
    if (rule.scope !== null && !principal.scopes.has(rule.scope)) {
      throw forbidden(`${field} needs the scope ${rule.scope}.`, { scope: rule.scope });
    }
    return resolve(source, args, ctx, info);
  };
}
