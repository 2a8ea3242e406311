import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ConsentRecord, Purpose } from '../../src/domain/index.js';
import { dynamoSingleView } from './gateway.js';
import type { TestGateway } from './gateway.js';

/**
 * Writes straight to the test gateway's single view (its dynalite), for
 * states the read path cannot create: a consent changed by another system.
 */
export async function writeConsent(gw: TestGateway, customerId: string, purpose: Purpose, status: ConsentRecord['status']): Promise<void> {
  const store = dynamoSingleView(gw);
  const { Item } = await store.document.send(new GetCommand({ TableName: store.tables.customers, Key: { id: customerId } }));
  if (!Item) throw new Error(`no customer ${customerId} in the store`);
  const others = (Item.consents as ConsentRecord[]).filter((consent) => consent.purpose !== purpose);
  const consent: ConsentRecord = { purpose, status, channel: 'web', updatedAt: new Date().toISOString(), source: 'test' };
  await store.document.send(
    new UpdateCommand({
      TableName: store.tables.customers,
      Key: { id: customerId },
      UpdateExpression: 'SET consents = :consents',
      ExpressionAttributeValues: { ':consents': [...others, consent] },
    }),
  );
}
