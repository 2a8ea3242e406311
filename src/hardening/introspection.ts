import type { ApolloServerPlugin } from '@apollo/server';
import { NoSchemaIntrospectionCustomRule, validate } from 'graphql';
import type { GatewayContext } from '../context.js';
import { forbidden } from '../errors.js';

export const SCHEMA_READ_SCOPE = 'schema:read';

/**
 * Introspection (`__schema`, `__type`) only for principals holding
 * `schema:read`, or for everyone in embedded demo mode. graphql-js's own
 * NoSchemaIntrospectionCustomRule finds it; `__typename` stays allowed.
 * Apollo's `introspection` switch is on/off for everyone, hence this plugin.
 */
export function introspectionPlugin(options: { readonly openToAll: boolean }): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      if (options.openToAll || contextValue.principal.scopes.has(SCHEMA_READ_SCOPE)) return undefined;
      return {
        async didResolveOperation({ schema, document }) {
          if (validate(schema, document, [NoSchemaIntrospectionCustomRule]).length === 0) return;
          throw forbidden(`Introspection needs the scope ${SCHEMA_READ_SCOPE}.`, { scope: SCHEMA_READ_SCOPE, http: { status: 403 } });
        },
      };
    },
  };
}
