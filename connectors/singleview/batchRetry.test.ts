import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFailingDynamo } from '../../test/support/throttlingDynamo.js';
import { SourceError } from '../resilience/sourceError.js';
import { BATCH_ATTEMPTS, DynamoSingleView } from './dynamodb.js';

/**
 * DynamoDB may hand back part of a batch unprocessed (throttling within the
 * batch, HTTP 200). The adapter sends the rest again with jittered backoff, a
 * bounded number of times, then fails as SOURCE_UNAVAILABLE instead of
 * looping for as long as the table stays throttled.
 */
describe('single view batches against a DynamoDB that never processes them', () => {
  let dynamo: Awaited<ReturnType<typeof startFailingDynamo>>;
  let store: DynamoSingleView;
  beforeAll(async () => {
    dynamo = await startFailingDynamo('unprocessed');
    store = new DynamoSingleView({ endpoint: dynamo.endpoint, region: 'us-east-1', tablePrefix: 'bounded_', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  });
  afterAll(async () => {
    await store?.close();
    await dynamo?.close();
  });

  it.each([
    ['BatchGetItem', () => store.getCustomers(['c1', 'c2'])],
    ['BatchWriteItem', () => store.putEvents([{ id: 'e1', customerId: 'c1', type: 'X', occurredAt: '2026-11-01T00:00:00.000Z', receivedAt: '2026-11-01T00:00:00.000Z', channel: null, source: 'test', properties: null }])],
  ])('%s: gives up after BATCH_ATTEMPTS calls with a retryable source error', async (operation, call) => {
    const before = dynamo.calls();
    const failure = await call().then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(SourceError);
    expect(failure).toMatchObject({ source: 'singleview', failure: 'unavailable' });
    expect((failure as Error).message).toContain(`${operation} left items unprocessed after ${BATCH_ATTEMPTS} attempts`);
    expect(dynamo.calls() - before).toBe(BATCH_ATTEMPTS);
  });
});
