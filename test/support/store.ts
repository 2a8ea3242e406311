import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { customerItem } from '../../connectors/singleview/customerItem.js';
import type { ConsentRecord, Purpose } from '../../src/domain/index.js';
import { dynamoSingleView } from './gateway.js';
import type { TestGateway } from './gateway.js';

/**
 * Writes straight to the test gateway's single view (its dynalite), for
 * states the read path cannot create: a consent changed by another system.
 */
export async function writeConsent(gw: TestGateway, customerId: string, purpose: Purpose, status: ConsentRecord['status']): Promise<void> {
  const store = dynamoSingleView(gw);
  const [record] = await store.getCustomers([customerId], { consistent: true });
  if (!record || record instanceof Error) throw new Error(`no customer ${customerId} in the store`);
  const others = record.consents.filter((consent) => consent.purpose !== purpose);
  const consent: ConsentRecord = { purpose, status, channel: 'web', updatedAt: new Date().toISOString(), source: 'test' };
  // Another system's write: the item as the adapter stores it, without a version change.
  await store.document.send(new PutCommand({ TableName: store.tables.customers, Item: customerItem({ ...record, consents: [...others, consent] }) }));
}
