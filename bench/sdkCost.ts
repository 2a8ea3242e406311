import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { createDynamoClients } from '../connectors/singleview/dynamodb.js';
import { createSingleView } from '../connectors/singleview/index.js';
import { customerItem } from '../connectors/singleview/customerItem.js';
import { startEmbeddedDynamo } from '../src/embedded/dynalite.js';
import { testDemoData } from '../test/support/demo.js';

/**
 * `npm run bench:sdk`: the client's CPU per DynamoDB call (issue 19 point 3),
 * measured on the calling thread only (`process.threadCpuUsage`; dynalite
 * answers on a worker thread of its own, src/embedded/dynalite.ts, so its work
 * is not counted). Four calls the gateway makes on every request — the
 * customer BatchGetItem, the events page Query, a strongly consistent
 * GetItem, a conditional PutItem — each SDK_BENCH_CALLS times (3,000), 8 in
 * flight, through:
 *
 * - the DocumentClient with an abort signal per call: how the gateway called
 *   DynamoDB before (the client resolves its middleware stack again on every
 *   call made with options);
 * - the DocumentClient with no options (it still builds a stack per call);
 * - ItemClient (connectors/singleview/itemClient.ts): low-level commands
 *   through a client with its handler cache on, no options: how it calls now.
 *
 * Each variant runs three times, interleaved, and the lowest figure counts
 * (CPU time on a shared machine only ever gets inflated by neighbours).
 * Rewrites the section of bench/README.md between the `bench:sdk` markers.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CALLS = Number(process.env.SDK_BENCH_CALLS ?? 3_000);
const IN_FLIGHT = 8;
const ROUNDS = 3;
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

type Send = (command: GetCommand | PutCommand | QueryCommand | BatchGetCommand) => Promise<unknown>;

interface Variant {
  readonly name: string;
  readonly send: Send;
}

function documentClientVariants(endpoint: string): Variant[] {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: CREDENTIALS,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: 256 }) }),
  });
  // As the gateway configured it before: the no-op logger middleware removed.
  client.middlewareStack.remove('loggerMiddleware');
  const document = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  const untyped = document as unknown as { send(command: unknown, options?: unknown): Promise<unknown> };
  return [
    { name: 'DocumentClient, an abort signal per call (before)', send: (command) => untyped.send(command, { abortSignal: new AbortController().signal }) },
    { name: 'DocumentClient, no options', send: (command) => untyped.send(command) },
  ];
}

function itemClientVariant(endpoint: string): Variant {
  const { document } = createDynamoClients({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, tablePrefix: '' });
  const untyped = document as unknown as { send(command: unknown): Promise<unknown> };
  return { name: 'ItemClient, handler cache, no options (now)', send: (command) => untyped.send(command) };
}

/** Main-thread CPU microseconds per call for `CALLS` calls made by `make`, IN_FLIGHT at a time. */
async function cpuPerCall(send: Send, make: (i: number) => GetCommand | PutCommand | QueryCommand | BatchGetCommand): Promise<number> {
  for (let i = 0; i < 200; i++) await send(make(-i - 1)); // warm: sockets, JIT
  let next = 0;
  const before = process.threadCpuUsage();
  const worker = async () => {
    while (next < CALLS) await send(make(next++));
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const used = process.threadCpuUsage(before);
  return (used.user + used.system) / CALLS;
}

async function main(): Promise<void> {
  const dynamo = await startEmbeddedDynamo(undefined);
  const store = await createSingleView({ endpoint: dynamo.endpoint, region: 'us-east-1', tablePrefix: 'sdk_', credentials: CREDENTIALS });
  const data = testDemoData();
  const customer = data.customers[0]!;
  const events = data.events.filter((event) => event.customerId === customer.id);
  await store.document.send(new PutCommand({ TableName: store.tables.customers, Item: customerItem({ ...customer, version: 1 }) }));
  await store.putEvents(events.slice(0, 20));
  const tables = store.tables;
  const operations: Array<{ name: string; make: (i: number) => GetCommand | PutCommand | QueryCommand | BatchGetCommand }> = [
    { name: 'BatchGetItem, one customer', make: () => new BatchGetCommand({ RequestItems: { [tables.customers]: { Keys: [{ id: customer.id }] } } }) },
    {
      name: 'Query, events page of 5 (+1)',
      make: () =>
        new QueryCommand({
          TableName: tables.events,
          KeyConditionExpression: '#c = :c',
          ExpressionAttributeNames: { '#c': 'customerId' },
          ExpressionAttributeValues: { ':c': customer.id },
          Limit: 6,
          ScanIndexForward: false,
        }),
    },
    { name: 'GetItem, consistent', make: () => new GetCommand({ TableName: tables.customers, Key: { id: customer.id }, ConsistentRead: true }) },
    {
      name: 'PutItem, conditional',
      make: (i) =>
        new PutCommand({
          TableName: tables.idempotency,
          Item: { key: `bench#${i}#${Math.random()}`, eventId: 'evt_bench', customerId: customer.id, occurredAt: '2026-12-03T00:00:00.000Z', claimedAt: '2026-12-03T00:00:00.000Z', expiresAt: 0 },
          ConditionExpression: 'attribute_not_exists(#k)',
          ExpressionAttributeNames: { '#k': 'key' },
        }),
    },
  ];
  const variants = [...documentClientVariants(dynamo.endpoint), itemClientVariant(dynamo.endpoint)];
  const results = new Map<string, Map<string, number>>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const operation of operations) {
        for (const variant of variants) {
          const micros = await cpuPerCall(variant.send, operation.make);
          const row = results.get(operation.name) ?? new Map<string, number>();
          row.set(variant.name, Math.min(row.get(variant.name) ?? Infinity, micros));
          results.set(operation.name, row);
        }
      }
    }
    const text = report(results, variants.map((variant) => variant.name));
    console.log(text);
    const readme = `${ROOT}bench/README.md`;
    const current = readFileSync(readme, 'utf8');
    const start = '<!-- bench:sdk:start -->';
    const end = '<!-- bench:sdk:end -->';
    const from = current.indexOf(start);
    const to = current.indexOf(end);
    if (from >= 0 && to > from) writeFileSync(readme, `${current.slice(0, from + start.length)}\n${text}\n${current.slice(to)}`);
    else console.log('bench/README.md has no bench:sdk markers; the section was not written');
  } finally {
    await store.close();
    await dynamo.close();
  }
}

function report(results: Map<string, Map<string, number>>, names: readonly string[]): string {
  const [before, , now] = names as [string, string, string];
  const lines = [
    `Client CPU per DynamoDB call (\`npm run bench:sdk\`, ${new Date().toISOString()}): ${CALLS.toLocaleString('en-US')} calls per cell, ${IN_FLIGHT} in flight, against dynalite on its own thread; microseconds of the calling thread's CPU per call, the lowest of ${ROUNDS} rounds. Machine: ${cpus().length} cores, Node ${process.version}, load average ${loadavg()[0]!.toFixed(1)} at the end.`,
    '',
    `| call | ${names.join(' | ')} | saved (before → now) |`,
    `| --- | ${names.map(() => '---:').join(' | ')} | ---: |`,
  ];
  for (const [operation, row] of results) {
    const saved = 1 - row.get(now)! / row.get(before)!;
    lines.push(`| ${operation} | ${names.map((name) => row.get(name)!.toFixed(0)).join(' | ')} | ${(saved * 100).toFixed(0)} % |`);
  }
  return lines.join('\n');
}

await main();
