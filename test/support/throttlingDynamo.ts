import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type DynamoFailure = 'throttle' | 'silent' | 'unprocessed';

/**
 * A loopback HTTP server that speaks DynamoDB's protocol: every call is
 * answered `ProvisionedThroughputExceededException` (HTTP 400 with the JSON
 * error body the SDK parses), never answered at all (`silent`), or, for
 * BatchGetItem and BatchWriteItem, answered 200 with every key or item handed
 * back unprocessed (`unprocessed`: a table throttled within a batch). Counts
 * the calls it received.
 */
export async function startFailingDynamo(failure: DynamoFailure = 'throttle'): Promise<{ endpoint: string; calls(): number; close(): Promise<void> }> {
  let calls = 0;
  const server = createServer((request, response) => {
    calls += 1;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (failure === 'silent') return;
      const target = String(request.headers['x-amz-target'] ?? '');
      if (failure === 'unprocessed' && /BatchGetItem|BatchWriteItem/.test(target)) {
        const { RequestItems } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { RequestItems: Record<string, unknown> };
        const left = target.endsWith('BatchGetItem') ? { Responses: {}, UnprocessedKeys: RequestItems } : { UnprocessedItems: RequestItems };
        const body = JSON.stringify(left);
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `unprocessed-${calls}`, 'content-length': Buffer.byteLength(body) });
        response.end(body);
        return;
      }
      const body = JSON.stringify({
        __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        message: 'The level of configured provisioned throughput for the table was exceeded.',
      });
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `throttled-${calls}`, 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
