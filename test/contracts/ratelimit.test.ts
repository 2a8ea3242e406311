import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoRateLimitStore, RATE_LIMIT_EXPIRY_ATTRIBUTE } from '../../src/ratelimit/dynamodb.js';
import { MemoryRateLimitStore } from '../../src/ratelimit/memory.js';
import { startSingleView } from '../support/dynalite.js';
import { defineRateLimitStoreContract } from './ratelimit.contract.js';

defineRateLimitStoreContract('memory', async () => {
  const store = new MemoryRateLimitStore(1_000);
  return { store, cleanup: () => store.close() };
});

/** One dynalite for the file: the contract's store and the item checks below share it. */
let singleView: ReturnType<typeof startSingleView> | undefined;
const dynalite = () => (singleView ??= startSingleView());
afterAll(async () => {
  await (await singleView)?.close();
});

defineRateLimitStoreContract('dynamodb (conditional UpdateItem ADD on dynalite)', async () => {
  const { store: view } = await dynalite();
  const store = new DynamoRateLimitStore(view.document, view.tables.rateLimits);
  return { store, cleanup: () => store.close() };
});

describe('rate-limit windows on DynamoDB', () => {
  it('keeps one small item per principal and window, with the expiry TTL deletes it by, a few minutes after the window', async () => {
    const { store: view } = await dynalite();
    const store = new DynamoRateLimitStore(view.document, view.tables.rateLimits);
    const windowStart = Date.parse('2026-11-01T10:05:00.000Z');
    await store.lease({ key: 'partner-1', windowStart, windowMs: 60_000, tokens: 40, limit: 1_000 });
    await store.lease({ key: 'partner-1', windowStart, windowMs: 60_000, tokens: 25, limit: 1_000 });
    const { Item } = await view.document.send(new GetCommand({ TableName: view.tables.rateLimits, Key: { bucket: `partner-1#${windowStart}` }, ConsistentRead: true }));
    expect(Item).toEqual({ bucket: `partner-1#${windowStart}`, spent: 65, [RATE_LIMIT_EXPIRY_ATTRIBUTE]: (windowStart + 60_000) / 1000 + 300 });
  });
});
