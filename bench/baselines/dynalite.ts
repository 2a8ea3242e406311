import { createServer } from 'node:http';
import { createSingleView } from '../../connectors/singleview/index.js';
import { startEmbeddedDynamo } from '../../src/embedded/dynalite.js';
import { benchPort } from '../lib/captures.js';

/**
 * Baseline for `track`: dynalite as the embedded default runs it (in memory,
 * in one Node process, tables created by the single view adapter), for raw
 * single-item PutItem writes sent straight to its DynamoDB API. GET /healthz
 * on PORT tells the harness the DynamoDB endpoint and the events table.
 */
const dynamo = await startEmbeddedDynamo(undefined);
const store = await createSingleView({
  endpoint: dynamo.endpoint,
  region: 'us-east-1',
  tablePrefix: process.env.C360_DYNAMODB_TABLE_PREFIX ?? 'c360_',
  credentials: { accessKeyId: 'c360-local', secretAccessKey: 'c360-local' },
});
const info = JSON.stringify({ status: 'ok', endpoint: dynamo.endpoint, eventsTable: store.tables.events });
createServer((_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(info)).listen(benchPort(), '127.0.0.1');
