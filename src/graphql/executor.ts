import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import { GraphQLError, execute, printSchema } from 'graphql';
import type { DocumentNode, ExecutionResult, GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery } from 'graphql-jit';
import type { CompiledQuery } from 'graphql-jit';
import { PlanCache } from './operationPlan.js';

export type ExecutorKind = 'jit' | 'stock';

type ExecutorGateway = ApolloServerOptionsWithGateway<BaseContext>['gateway'];

/**
 * Distinct operations kept compiled. Clients of a gateway send a small fixed
 * set of operations, so a thousand covers them with room to spare; an LRU
 * keeps a client that sends ever-new documents from growing memory.
 */
export const COMPILED_OPERATION_CACHE_SIZE = 1_000;

/**
 * Which executable schema runs a request, and under which key its compiled
 * operation is kept: chosen per request from the operation plan (src/server.ts).
 * Every variant has the same types as the API schema; they differ in resolvers.
 */
export type SchemaVariant = (request: { readonly document: DocumentNode; readonly queryHash: string; readonly operationName: string | null; readonly context: unknown }) => ChosenVariant;

export interface ChosenVariant {
  readonly key: string;
  readonly schema: GraphQLSchema;
  /** The document to run, when the plan changed it (the same for every request of one document and variant key). */
  readonly document?: DocumentNode;
  /**
   * A step every result passes through before Apollo Server sees it (the
   * privacy walk). It may answer RUN_FALLBACK instead: the result is
   * dropped and the operation runs again as `fallback` (the same request,
   * context and loaders), whose result is the answer.
   */
  readonly finish?: (result: ExecutionResult) => ExecutionResult | Promise<ExecutionResult> | typeof RUN_FALLBACK;
  readonly fallback?: ChosenVariant;
}

/** What a variant's `finish` answers to have the operation run again as its `fallback`. */
export const RUN_FALLBACK: unique symbol = Symbol('c360.runFallback');

export interface JitExecutorOptions {
  readonly cacheSize?: number;
  /** Default: the schema given, for every request. */
  readonly variant?: SchemaVariant;
}

/** Counts for tests and benchmarks: how often an operation was compiled or reused. */
export interface JitExecutorStats {
  compiled: number;
  reused: number;
}

/**
 * Executes operations compiled by graphql-jit instead of graphql-js's
 * generic per-field executor. Apollo Server accepts a custom executor only
 * through its `gateway` option: `load()` hands over the executor and
 * `onSchemaLoadOrUpdate` the (fixed) schema. Apollo still parses, validates
 * and caches documents and runs every plugin hook; only execution changes.
 *
 * graphql-jit's default field resolver reads `parent[field]` and never calls
 * a function found there, as graphql-js's does; every resolver of this schema
 * returns plain data, and root fields all have resolvers (the root value is
 * an empty object).
 */
export function jitExecutorGateway(schema: GraphQLSchema, options: JitExecutorOptions = {}): ExecutorGateway & { stats: JitExecutorStats } {
  const compiled = new PlanCache<CompiledQuery | ExecutionResult>(options.cacheSize ?? COMPILED_OPERATION_CACHE_SIZE);
  const stats: JitExecutorStats = { compiled: 0, reused: 0 };
  const variantOf: SchemaVariant = options.variant ?? (() => ({ key: '', schema }));
  const compiledFor = (document: DocumentNode, queryHash: string, operationName: string | null, variant: ChosenVariant) => {
    let fresh = false;
    // queryHash is the SHA-256 of the document text; one document can hold several operations.
    const operation = compiled.get(document, queryHash, operationName, variant.key, () => {
      fresh = true;
      return compileQuery(variant.schema, variant.document ?? document, operationName ?? undefined, { disablingCapturingStackErrors: true });
    });
    if (fresh) stats.compiled += 1;
    else stats.reused += 1;
    return operation;
  };
  const run = (request: ExecutorRequest & { readonly queryHash: string }, variant: ChosenVariant): ExecutionResult | Promise<ExecutionResult> => {
    const operation = compiledFor(request.document, request.queryHash, request.operationName, variant);
    // A document that cannot be compiled comes back as its errors, as graphql-js would answer it.
    if (!isCompiledQuery(operation)) return withGraphQLErrors(operation);
    const result = operation.query({}, request.context, request.request.variables ?? {});
    const settle = (settled: ExecutionResult) => {
      const answer = answered(settled, request, variant);
      return answer === RUN_FALLBACK ? run(request, variant.fallback!) : answer;
    };
    return isPromise(result) ? result.then(settle) : settle(result);
  };
  return {
    stats,
    async load() {
      return {
        // Not async: an operation over data already in memory completes synchronously, and its answer
        // goes back to Apollo Server without the turns of the microtask queue that awaiting it would take.
        executor: (request) => {
          try {
            const variant = variantOf({ document: request.document, queryHash: request.queryHash, operationName: request.operationName, context: request.context });
            const answer = run(request, variant);
            return isPromise(answer) ? answer : Promise.resolve(answer);
          } catch (error) {
            return Promise.reject(error instanceof Error ? error : new Error(String(error)));
          }
        },
      };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async stop() {
      compiled.clear();
    },
  };
}

function finish(result: ExecutionResult, variant: ChosenVariant): ExecutionResult | Promise<ExecutionResult> | typeof RUN_FALLBACK {
  const answer = variant.finish ? variant.finish(result) : result;
  if (answer === RUN_FALLBACK && !variant.fallback) throw new Error(`variant ${variant.key} asked to run its fallback, and has none`);
  return answer;
}

/** What the executor reads of Apollo Server's request. */
interface ExecutorRequest {
  readonly document: DocumentNode;
  readonly operationName: string | null;
  readonly context: unknown;
  readonly request: { readonly variables?: Record<string, unknown> };
}

/** A compiled operation's result as Apollo Server gets it: its errors made real GraphQLErrors, then the variant's last step. */
function answered(result: ExecutionResult, request: ExecutorRequest, variant: ChosenVariant): ExecutionResult | Promise<ExecutionResult> | typeof RUN_FALLBACK {
  // No data at all means the variables did not coerce. graphql-js words those errors the
  // way Apollo Server recognises as BAD_USER_INPUT (HTTP 400), so it answers this rare case
  // (with the variant's last step, which has nothing of the data to decide).
  if (result.data === undefined) {
    const document = variant.document ?? request.document;
    const coerced = execute({ schema: variant.schema, document, operationName: request.operationName, contextValue: request.context, variableValues: request.request.variables });
    // Nothing ran, so there is nothing to run again: a fallback's last step takes the errors.
    const finishedWith = (settled: ExecutionResult, running: ChosenVariant): ExecutionResult | Promise<ExecutionResult> => {
      const answer = finish(settled, running);
      return answer === RUN_FALLBACK ? finishedWith(settled, running.fallback!) : answer;
    };
    return Promise.resolve(coerced).then((settled) => finishedWith(settled, variant));
  }
  return finish(withGraphQLErrors(result), variant);
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * graphql-jit's errors only look like graphql-js's: their `extensions` is
 * undefined when the resolver's error had none, and Apollo Server reads
 * `extensions.code` unguarded. The same error rebuilt by graphql-js keeps
 * message, path, locations and the resolver's error (`originalError`).
 */
function withGraphQLErrors(result: ExecutionResult): ExecutionResult {
  if (!result.errors?.length) return result;
  // Errors that carry their resolver error's extensions (every withheld field does) already have
  // what Apollo Server reads; a batch can hold thousands, so only the others are rebuilt.
  return { ...result, errors: result.errors.map((error) => (error.extensions ? error : rebuiltError(error))) };
}

function rebuiltError(error: GraphQLError): GraphQLError {
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions ?? undefined,
  });
  // GraphQLError computes locations from AST nodes, which graphql-jit does not keep; it keeps the locations.
  return error.locations ? Object.assign(rebuilt, { locations: error.locations }) : rebuilt;
}

/**
 * graphql-js's own `execute` through the same hook, so that a request runs
 * against the schema variant its operation plan chose, as with graphql-jit.
 */
export function stockExecutorGateway(schema: GraphQLSchema, variant: SchemaVariant): ExecutorGateway {
  return {
    async load() {
      return {
        executor: async (request) => {
          const chosen = variant({ document: request.document, queryHash: request.queryHash, operationName: request.operationName, context: request.context });
          const run = async (running: ChosenVariant): Promise<ExecutionResult> => {
            const result = await execute({
              schema: running.schema,
              document: running.document ?? request.document,
              operationName: request.operationName,
              contextValue: request.context,
              variableValues: request.request.variables,
            });
            const answer = finish(result, running);
            return answer === RUN_FALLBACK ? run(running.fallback!) : answer;
          };
          return run(chosen);
        },
      };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async stop() {},
  };
}

/**
 * The part of Apollo Server's options that chooses the executor: the schema
 * itself for graphql-js (`stock`), or the graphql-jit executor over it. With
 * a variant (the operation plan's choice of schema per request), graphql-js
 * runs through the executor hook too.
 */
export function executionOptions(schema: GraphQLSchema, kind: ExecutorKind, variant?: SchemaVariant): { schema: GraphQLSchema } | { gateway: ExecutorGateway } {
  if (kind === 'jit') return { gateway: jitExecutorGateway(schema, variant ? { variant } : {}) };
  return variant ? { gateway: stockExecutorGateway(schema, variant) } : { schema };
}
