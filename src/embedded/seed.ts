import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { customerItem } from '../../connectors/singleview/customerItem.js';
import type { DynamoSingleView } from '../../connectors/singleview/dynamodb.js';
import { eventSortKey, identityIndexKey } from '../../connectors/singleview/dynamodb.js';
import type { SingleViewItems } from '../../connectors/singleview/memory.js';
import type { DemoData } from './demoData.js';

/** Bump when the demo data set changes shape, so old data dirs are not mistaken for current ones. */
export const DEMO_DATA_VERSION = 2;
const SEED_MARKER = 'demo-seed';
/** BatchWriteItem calls in flight while seeding. */
const PARALLEL_WRITES = 8;

export interface SeedOutcome {
  readonly seeded: boolean;
  readonly customers: number;
  /** The data dir holds an older demo data set (it is kept: it may hold writes). */
  readonly staleVersion?: number;
}

/**
 * Loads the demo data into an empty single view once. A marker item written
 * last records that the load finished, so a start that was interrupted
 * half-way loads again (every write is an idempotent put).
 */
export async function seedSingleView(store: DynamoSingleView, data: DemoData): Promise<SeedOutcome> {
  const marker = await store.document.send(new GetCommand({ TableName: store.tables.meta, Key: { id: SEED_MARKER } }));
  if (marker.Item) {
    const version = Number(marker.Item.version ?? 0);
    return { seeded: false, customers: Number(marker.Item.customers ?? 0), ...(version !== DEMO_DATA_VERSION ? { staleVersion: version } : {}) };
  }

  const items = demoSingleViewItems(data);
  const eventItems = items.events.map((event) => ({ ...event, sk: eventSortKey(event.occurredAt, event.id) }));
  // As the adapter stores customers (connectors/singleview/customerItem.ts): the body deflated.
  await writeAll(store, store.tables.customers, data.customers.map((customer) => customerItem({ ...customer, version: 1 })));
  await writeAll(store, store.tables.identities, items.identities);
  await writeAll(store, store.tables.events, eventItems);
  const historyItems = data.consentHistory.map((change) => ({ ...change, sk: `${change.at}#${change.id}` }));
  await writeAll(store, store.tables.consentHistory, historyItems);
  await store.document.send(
    new PutCommand({
      TableName: store.tables.meta,
      Item: { id: SEED_MARKER, version: DEMO_DATA_VERSION, customers: data.customers.length, at: new Date().toISOString() },
    }),
  );
  return { seeded: true, customers: data.customers.length };
}

/** The demo data as single view items: customers (version 1), the identity index, events. */
export function demoSingleViewItems(data: DemoData): SingleViewItems {
  return {
    customers: data.customers.map((customer) => ({ ...customer, version: 1 })),
    identities: data.customers.flatMap((customer) =>
      customer.identities.map((identity) => ({
        key: identityIndexKey(identity),
        customerId: customer.id,
        type: identity.type,
        value: identity.value,
      })),
    ),
    events: data.events,
  };
}

async function writeAll(store: DynamoSingleView, table: string, items: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  const chunkSize = 25 * 4;
  const chunks: Array<ReadonlyArray<Record<string, unknown>>> = [];
  for (let i = 0; i < items.length; i += chunkSize) chunks.push(items.slice(i, i + chunkSize));
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      await store.batchWrite(table, chunk);
    }
  };
  await Promise.all(Array.from({ length: PARALLEL_WRITES }, worker));
}
