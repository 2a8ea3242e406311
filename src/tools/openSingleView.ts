import type { DynamoSingleView } from '../../connectors/singleview/dynamodb.js';
import { createSingleView } from '../../connectors/singleview/index.js';
import { ConfigError } from '../config.js';
import type { GatewayConfig } from '../config.js';
import { dataDirOwner, startEmbeddedDynamo } from '../embedded/dynalite.js';

export interface ToolSingleView {
  readonly store: DynamoSingleView;
  /** Where the store was reached, for the tool's own output. */
  readonly via: string;
  close(): Promise<void>;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'c360-local', secretAccessKey: 'c360-local' };

/**
 * The single view an operator tool (npm run keys) works on, from the same
 * configuration as the gateway: DynamoDB when C360_DYNAMODB_ENDPOINT is set;
 * otherwise the embedded data dir, through the running gateway's dynalite
 * when one holds it (LevelDB allows one process), or opened directly when
 * the gateway is stopped.
 */
export async function openSingleViewForTool(config: GatewayConfig): Promise<ToolSingleView> {
  const connect = (endpoint: string | undefined, local: boolean) =>
    createSingleView({
      endpoint,
      region: config.dynamodb.region,
      tablePrefix: config.dynamodb.tablePrefix,
      credentials: local ? LOCAL_CREDENTIALS : undefined,
      retention: config.dynamodb.retention,
      createTables: config.embedded || config.dynamodb.createTables,
    });
  if (!config.embedded) {
    const store = await connect(config.dynamodb.endpoint, config.dynamodb.localCredentials);
    return { store, via: `DynamoDB ${config.dynamodb.endpoint ?? `(AWS ${config.dynamodb.region})`}`, close: () => store.close() };
  }
  if (config.dataDir === undefined) {
    throw new ConfigError('C360_DATA_DIR=memory keeps nothing between processes, so a tool has nothing to work on; set a data dir or C360_DYNAMODB_ENDPOINT.');
  }
  const owner = dataDirOwner(config.dataDir);
  if (owner) {
    if (!owner.endpoint) throw new Error(`The gateway (process ${owner.pid}) is still starting; try again in a moment.`);
    const store = await connect(owner.endpoint, true);
    return { store, via: `the running gateway's store (process ${owner.pid})`, close: () => store.close() };
  }
  const dynamo = await startEmbeddedDynamo(config.dataDir);
  try {
    const store = await connect(dynamo.endpoint, true);
    return {
      store,
      via: `the data dir ${config.dataDir}`,
      close: async () => {
        await store.close();
        await dynamo.close();
      },
    };
  } catch (error) {
    await dynamo.close();
    throw error;
  }
}
