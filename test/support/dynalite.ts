import { randomUUID } from 'node:crypto';
import { createSingleView } from '../../connectors/singleview/index.js';
import type { DynamoSingleView } from '../../connectors/singleview/dynamodb.js';
import { startEmbeddedDynamo } from '../../src/embedded/dynalite.js';
import type { EmbeddedDynamo } from '../../src/embedded/dynalite.js';

/** A fresh dynalite on loopback and a single view over it, tables created. */
export async function startSingleView(): Promise<{ store: DynamoSingleView; dynamo: EmbeddedDynamo; close(): Promise<void> }> {
  const dynamo = await startEmbeddedDynamo(undefined);
  const store = await createSingleView({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    tablePrefix: `t${randomUUID().slice(0, 6)}_`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    store,
    dynamo,
    close: async () => {
      await store.close();
      await dynamo.close();
    },
  };
}
