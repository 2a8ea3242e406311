import { DynamoRateLimitStore } from '../../src/ratelimit/dynamodb.js';
import { MemoryRateLimitStore } from '../../src/ratelimit/memory.js';
import { startSingleView } from '../support/dynalite.js';
import { defineRateLimitStoreContract } from './ratelimit.contract.js';

defineRateLimitStoreContract('memory', async (clock) => {
  const store = new MemoryRateLimitStore(1_000, clock);
  return { store, cleanup: () => store.close() };
});

defineRateLimitStoreContract('dynamodb (conditional writes on dynalite)', async (clock) => {
  const singleView = await startSingleView();
  const store = new DynamoRateLimitStore(singleView.store.document, singleView.store.tables.rateLimits, clock);
  return { store, cleanup: () => singleView.close() };
});
