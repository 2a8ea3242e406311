import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamo } from '../src/embedded/dynalite.js';
import type { EmbeddedDynamo } from '../src/embedded/dynalite.js';
import { dynamoSingleView, graphql, startTestGateway, withoutTraceId } from './support/gateway.js';

/**
 * C360_DYNAMODB_ENDPOINT points the same single view adapter at another
 * DynamoDB: here a dynalite started separately, as an operator would run it.
 */
describe('single view on a separately started DynamoDB endpoint', () => {
  let dynamo: EmbeddedDynamo;
  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo(undefined);
  });
  afterAll(() => dynamo?.close());

  it('creates its tables on first start, reuses them on the next, and loads demo data only when asked', async () => {
    const env = { C360_DYNAMODB_ENDPOINT: dynamo.endpoint, C360_DYNAMODB_TABLE_PREFIX: 'ext_' };
    const plain = await startTestGateway(env);
    // Not in demo mode: no demo data and no demo keys, so the demo key is refused.
    const refused = await graphql(plain.url, '{ segments { id } }');
    const adapters = plain.gateway.services.sources.adapters;
    const tables = dynamoSingleView(plain).tables;
    await plain.close();
    expect(refused.status).toBe(401);
    expect(adapters.singleview).toBe('dynamodb');
    expect(plain.logs.some((line) => line.includes('demo data loaded'))).toBe(false);

    // C360_DEMO=true loads the demo set into the existing tables.
    const again = await startTestGateway({ ...env, C360_DEMO: 'true' });
    try {
      expect(dynamoSingleView(again).tables).toEqual(tables);
      const response = await graphql(again.url, '{ customer(id: "cus_demo_customer") { id } }');
      expect(withoutTraceId(response.body)).toEqual({ data: { customer: { id: 'cus_demo_customer' } } });
    } finally {
      await again.close();
    }
  });
});
