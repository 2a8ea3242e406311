import { createHash } from 'node:crypto';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLError, execute, parse } from 'graphql';
import type { DocumentNode, ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { jitExecutorGateway } from '../src/graphql/executor.js';

/** A small schema with the shapes the gateway relies on: thrown GraphQL errors, Errors in lists, plain data. */
const schema = makeExecutableSchema({
  typeDefs: 'type Query { item(id: ID!): Item, items(ids: [ID!]!): [Item] } type Item { id: ID!, name: String }',
  resolvers: {
    Query: {
      item: (_root: unknown, { id }: { id: string }) => {
        if (id === 'bad') throw new GraphQLError('Bad id', { extensions: { code: 'BAD_USER_INPUT', field: 'id' } });
        return { id, name: `Item ${id}` };
      },
      items: (_root: unknown, { ids }: { ids: string[] }) => ids.map((id) => (id === 'fail' ? new Error('source down') : { id, name: null })),
    },
  },
});

async function run(gateway: ReturnType<typeof jitExecutorGateway>, query: string, variables: Record<string, unknown>, document: DocumentNode = parse(query)) {
  const { executor } = await gateway.load({ apollo: {} });
  const request = {
    document,
    queryHash: createHash('sha256').update(query).digest('hex'),
    operationName: null,
    request: { query, variables },
    context: {},
  };
  return executor!(request as unknown as Parameters<NonNullable<typeof executor>>[0]);
}

describe('the graphql-jit executor', () => {
  it('answers exactly as graphql-js does, with errors that are real GraphQLErrors keeping the resolver error', async () => {
    const query = 'query($ids: [ID!]!) { items(ids: $ids) { id name } bad: item(id: "bad") { id } }';
    const variables = { ids: ['a', 'fail'] };
    const result = await run(jitExecutorGateway(schema), query, variables);
    const reference = await execute({ schema, document: parse(query), variableValues: variables });
    const shape = (r: ExecutionResult) => ({
      data: r.data,
      errors: r.errors
        ?.map((error) => ({ ...error.toJSON(), isGraphQLError: error instanceof GraphQLError, original: error.originalError?.message }))
        .sort((a, b) => a.message.localeCompare(b.message)),
    });
    expect(shape(result)).toEqual(shape(reference));
    expect(shape(result)).toEqual({
      data: { items: [{ id: 'a', name: null }, null], bad: null },
      errors: [
        expect.objectContaining({ message: 'Bad id', path: ['bad'], extensions: { code: 'BAD_USER_INPUT', field: 'id' }, isGraphQLError: true, original: 'Bad id' }),
        expect.objectContaining({ message: 'source down', path: ['items', 1], isGraphQLError: true, original: 'source down' }),
      ],
    });
  });

  it('leaves variables that do not coerce to graphql-js, whose errors Apollo Server recognises as BAD_USER_INPUT', async () => {
    const result = await run(jitExecutorGateway(schema), 'query($ids: [ID!]!) { items(ids: $ids) { id } }', { ids: null });
    expect(result.data).toBeUndefined();
    expect(result.errors!.map((error) => ({ message: error.message, nodes: error.nodes?.map((node) => node.kind) }))).toEqual([
      { message: 'Variable "$ids" of non-null type "[ID!]!" must not be null.', nodes: ['VariableDefinition'] },
    ]);
  });

  it('compiles each operation once and keeps a bounded number compiled', async () => {
    const gateway = jitExecutorGateway(schema, { cacheSize: 2 });
    const queries = ['{ a: item(id: "1") { id } }', '{ b: item(id: "1") { id } }', '{ c: item(id: "1") { id } }'];
    await run(gateway, queries[0]!, {});
    await run(gateway, queries[0]!, {});
    expect(gateway.stats).toEqual({ compiled: 1, reused: 1 });
    await run(gateway, queries[1]!, {});
    await run(gateway, queries[2]!, {});
    await run(gateway, queries[0]!, {}); // evicted by the two after it
    expect(gateway.stats).toEqual({ compiled: 4, reused: 1 });
  });

  it('answers a failure to choose the schema as a rejected promise, never a synchronous throw, and resolves async resolvers', async () => {
    const failing = jitExecutorGateway(schema, {
      variant: () => {
        throw new Error('no plan');
      },
    });
    const { executor } = await failing.load({ apollo: {} });
    const query = '{ item(id: "1") { id } }';
    const request = { document: parse(query), queryHash: 'h', operationName: null, request: { query, variables: {} }, context: {} };
    const pending = executor!(request as unknown as Parameters<NonNullable<typeof executor>>[0]);
    await expect(pending).rejects.toThrow('no plan');
    const slow = makeExecutableSchema({
      typeDefs: 'type Query { later: String }',
      resolvers: { Query: { later: async () => 'done' } },
    });
    expect(await run(jitExecutorGateway(slow), '{ later }', {})).toEqual({ data: { later: 'done' } });
  });

  it('finds the compiled operation by the document Apollo Server kept, even once the LRU by hash has let it go', async () => {
    const gateway = jitExecutorGateway(schema, { cacheSize: 1 });
    const kept = parse('{ a: item(id: "1") { id } }');
    expect(await run(gateway, '{ a: item(id: "1") { id } }', {}, kept)).toEqual({ data: { a: { id: '1' } } });
    await run(gateway, '{ b: item(id: "1") { id } }', {}); // the LRU's one place
    expect(await run(gateway, '{ a: item(id: "1") { id } }', {}, kept)).toEqual({ data: { a: { id: '1' } } });
    expect(gateway.stats).toEqual({ compiled: 2, reused: 1 });
  });
});
