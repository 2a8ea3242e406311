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

/** The Authorization header of each request the client sends from now on, as it leaves the client (after the signing step). */
export function authorizations(client: DynamoDBClient): string[] {
  const seen: string[] = [];
  changeMiddleware(client, (stack) =>
    stack.addRelativeTo(
      ((next: (args: { request: unknown }) => Promise<unknown>) => (args: { request: unknown }) => {
        seen.push(String((args.request as { headers?: Record<string, string> }).headers?.authorization));
        return next(args);
      }) as never,
      { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'recordAuthorization' },
    ),
  );
  return seen;
}
