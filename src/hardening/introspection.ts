import { NoSchemaIntrospectionCustomRule, validate } from 'graphql';
import type { DocumentNode } from 'graphql';
import { forbidden } from '../errors.js';
import type { RequestCheck } from './checks.js';

export const SCHEMA_READ_SCOPE = 'schema:read';

/**
 * Introspection (`__schema`, `__type`) only for principals holding
 * `schema:read`, or for everyone in embedded demo mode. graphql-js's own
 * NoSchemaIntrospectionCustomRule finds it; `__typename` stays allowed.
 * Apollo's `introspection` switch is on/off for everyone, hence this check.
 * Whether a document introspects is worked out once per document (Apollo
 * Server keeps one object per document text).
 */
export function introspectionCheck(options: { readonly openToAll: boolean }): RequestCheck {
  if (options.openToAll) return {};
  const introspects = new WeakMap<DocumentNode, boolean>();
  return {
    operation({ schema, document, contextValue }) {
      if (contextValue.principal.scopes.has(SCHEMA_READ_SCOPE)) return;
      let found = introspects.get(document);
      if (found === undefined) introspects.set(document, (found = validate(schema, document, [NoSchemaIntrospectionCustomRule]).length > 0));
      if (found) throw forbidden(`Introspection needs the scope ${SCHEMA_READ_SCOPE}.`, { scope: SCHEMA_READ_SCOPE, http: { status: 403 } });
    },
  };
}
