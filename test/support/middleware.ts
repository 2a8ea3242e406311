import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Adds (or removes) a middleware on a client that already sent calls. The gateway's client
 * resolves its middleware stack once per command type (`cacheMiddleware`,
 * connectors/singleview/itemClient.ts), so a middleware added later is not
 * seen until that cache is dropped; `destroy()` drops it but closes the
 * sockets too, so this drops only the cache (the SDK's `handlers`).
 */
export function changeMiddleware(client: DynamoDBClient, change: (stack: DynamoDBClient['middlewareStack']) => unknown): void {
  change(client.middlewareStack);
  dropHandlerCache(client);
}

function dropHandlerCache(client: DynamoDBClient): void {
  if (!Reflect.deleteProperty(client, 'handlers')) throw new Error('the SDK client’s handler cache could not be dropped');
}
