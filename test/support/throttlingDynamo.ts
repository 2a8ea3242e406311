import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export type DynamoFailure = 'throttle' | 'silent';

/**
 * A loopback HTTP server that speaks DynamoDB's error protocol: every call is
 * answered `ProvisionedThroughputExceededException` (HTTP 400 with the JSON
 * error body the SDK parses), or never answered at all (`silent`). Counts the
 * calls it received.
 */
export async function startFailingDynamo(failure: DynamoFailure = 'throttle'): Promise<{ endpoint: string; calls(): number; close(): Promise<void> }> {
  let calls = 0;
  const server = createServer((request, response) => {
    calls += 1;
    request.resume();
    request.on('end', () => {
      if (failure === 'silent') return;
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
