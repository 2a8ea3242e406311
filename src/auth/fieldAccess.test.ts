import { makeExecutableSchema } from '@graphql-tools/schema';
import { graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { GatewayContext } from '../context.js';
import { applyFieldAccess } from './fieldAccess.js';
import type { Principal } from './principal.js';

/**
 * Scopes guard types, not only root fields: a type added later that returns
 * a Customer (here, a merge suggestion) cannot read past customer:read,
 * without a row of its own in the table.
 */
const schema = applyFieldAccess(
  makeExecutableSchema({
    typeDefs: /* GraphQL */ `
      type Query { suggestion: Suggestion }
      type Suggestion { probability: Float customers: [Customer!]! }
      type Customer { id: ID! name: String }
    `,
    resolvers: { Query: { suggestion: () => ({ probability: 0.9, customers: [{ id: 'cus_1', name: 'Dana' }] }) } },
  }),
  { 'Query.suggestion': { scope: null } },
  { Customer: { scope: 'customer:read', open: ['id'] } },
);

const principal = (scopes: string[]): Principal => ({ kind: 'apiKey', id: 'key:test', name: 'Test', scopes: new Set(scopes), purposes: new Set(), trustedDocumentsOnly: false });

const run = (scopes: string[]) =>
  graphql({
    schema,
    source: '{ suggestion { probability customers { id name } } }',
    contextValue: { principal: principal(scopes) } as GatewayContext,
  });

describe('scopes on types', () => {
  it('answers the open id and refuses every other field of the type to a principal without its scope', async () => {
    expect(JSON.parse(JSON.stringify(await run(['identity:write'])))).toEqual({
      errors: [
        { message: 'name needs the scope customer:read.', locations: [{ line: 1, column: 43 }], path: ['suggestion', 'customers', 0, 'name'], extensions: { code: 'FORBIDDEN', scope: 'customer:read' } },
      ],
      data: { suggestion: { probability: 0.9, customers: [{ id: 'cus_1', name: null }] } },
    });
  });

  it('answers the type to a principal with its scope', async () => {
    expect(JSON.parse(JSON.stringify(await run(['customer:read'])))).toEqual({ data: { suggestion: { probability: 0.9, customers: [{ id: 'cus_1', name: 'Dana' }] } } });
  });

  it('refuses to start on a table naming a type the schema lacks', () => {
    expect(() => applyFieldAccess(schema, {}, { Nothing: { scope: 'customer:read' } })).toThrow('TYPE_ACCESS names Nothing, which the schema does not have.');
  });
});
