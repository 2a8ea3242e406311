import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import fastifyApollo from '@as-integrations/fastify';
import { makeExecutableSchema } from '@graphql-tools/schema';
import Fastify from 'fastify';
import type { GraphQLFieldResolver } from 'graphql';
import { stockScalarResolvers } from '../../resolvers/scalars.js';
import { jitExecutorGateway } from '../../src/graphql/executor.js';
import { replaceAtPath } from '../../src/privacy/ledger.js';
import { RedactedText } from '../../src/privacy/redact.js';
import { loadTypeDefs } from '../../src/graphql/schema.js';
import { benchPort, readCaptures } from '../lib/captures.js';

/**
 * Baseline: a bare Apollo Server 5 on Fastify over the gateway's own SDL and
 * scalars, answering each benchmark operation with the data the gateway
 * answered (captured at the start of the run) from memory: no auth, no
 * context, no sources. BENCH_APOLLO picks the configuration:
 * `stock` (Apollo's defaults, cache control on), `no-cache-control`, or
 * `jit` (cache control off and graphql-jit through the executor hook, as the
 * gateway runs).
 */
type Mode = 'stock' | 'no-cache-control' | 'jit';
const mode = (process.env.BENCH_APOLLO ?? 'stock') as Mode;

interface CapturedBody {
  data?: Record<string, unknown>;
  extensions?: { privacy?: { fields: Array<{ path: string; decision: string }> } };
}

/**
 * A masked or hashed date left the gateway as RedactedText, which the Date
 * scalars pass through; in the captured JSON it is a plain string again, so
 * it is wrapped back, by the paths `extensions.privacy` lists.
 */
function redactedAgain(body: CapturedBody): Record<string, unknown> | undefined {
  for (const field of body.extensions?.privacy?.fields ?? []) {
    if (field.decision !== 'mask' && field.decision !== 'hash') continue;
    replaceAtPath(body.data, field.path.split('.'), (value) => (typeof value === 'string' ? new RedactedText(value) : value));
  }
  return body.data;
}

const dataByOperation = new Map<string, Record<string, unknown>>();
for (const capture of Object.values(readCaptures())) {
  const data = redactedAgain(JSON.parse(capture.body) as CapturedBody);
  if (data) dataByOperation.set(capture.operationName, data);
}

/** Every root field answers its part of the captured response of the operation being run. */
const fromMemory: GraphQLFieldResolver<unknown, unknown> = (_root, _args, _context, info) =>
  dataByOperation.get(info.operation.name?.value ?? '')?.[String(info.path.key)] ?? null;

const schema = makeExecutableSchema({
  typeDefs: loadTypeDefs(),
  resolvers: stockScalarResolvers,
});
for (const root of [schema.getQueryType(), schema.getMutationType()]) {
  for (const field of Object.values(root?.getFields() ?? {})) field.resolve = fromMemory;
}

const apollo = new ApolloServer({
  ...(mode === 'jit' ? { gateway: jitExecutorGateway(schema) } : { schema }),
  plugins: mode === 'stock' ? [] : [ApolloServerPluginCacheControlDisabled()],
});
await apollo.start();
const app = Fastify({ logger: false });
app.get('/healthz', async () => ({ status: 'ok', mode }));
await app.register(fastifyApollo(apollo), { path: '/graphql' });
await app.listen({ host: '127.0.0.1', port: benchPort() });
