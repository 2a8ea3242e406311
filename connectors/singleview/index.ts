import type { DynamoConnection } from './dynamodb.js';
import { DynamoSingleView } from './dynamodb.js';
import { ensureTables, tableDefinitions } from './tables.js';

export type { SingleViewPort } from './port.js';

/**
 * The single view has one adapter, DynamoDB; "embedded" means the same
 * adapter pointed at an in-process dynalite. Tables are created on first use,
 * or only checked when `createTables` is false.
 */
export async function createSingleView(connection: DynamoConnection): Promise<DynamoSingleView> {
  const store = new DynamoSingleView(connection);
  await ensureTables(store.client, tableDefinitions(store.tables), { create: connection.createTables ?? true });
  return store;
}
