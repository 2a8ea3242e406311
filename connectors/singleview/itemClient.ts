import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand as QueryItemsCommand,
  ScanCommand as ScanItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue, BatchGetItemCommandOutput, BatchWriteItemCommandOutput, DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type {
  BatchGetCommandOutput,
  BatchWriteCommandOutput,
  DeleteCommandOutput,
  GetCommandOutput,
  NativeAttributeValue,
  PutCommandOutput,
  QueryCommandOutput,
  ScanCommandOutput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { convertToAttr, marshall, unmarshall } from '@aws-sdk/util-dynamodb';

type Item = Record<string, NativeAttributeValue>;
type Attributes = Record<string, AttributeValue>;
type AnyInput = Record<string, unknown>;

const MARSHALL = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

/**
 * The DocumentClient's commands (plain JavaScript values in and out), sent
 * as DynamoDB's own commands through a client that resolves its middleware
 * stack once per command type (`cacheMiddleware`).
 *
 * Why not the DocumentClient itself: it builds a stack for every call
 * (its commands wrap a low-level command and concatenate the stacks on each
 * send) and refuses `cacheMiddleware`; and any call sent with options (an
 * abort signal) makes the client resolve its stack again and drop the cache.
 * Together that was about a third of the client's CPU per call
 * (bench/sdkCost.ts, bench/README.md). So calls carry no options: their
 * deadline is the source guard's (cockatiel), and the socket's
 * `requestTimeout` ends a call the guard gave up on.
 *
 * The lib-dynamodb command classes only name the call and carry its input
 * here; marshalling is @aws-sdk/util-dynamodb's, with the options the
 * gateway always used (undefined values dropped, class instances refused,
 * numbers as JavaScript numbers).
 */
export class ItemClient {
  constructor(readonly client: DynamoDBClient) {}

  send(command: GetCommand): Promise<GetCommandOutput>;
  send(command: PutCommand): Promise<PutCommandOutput>;
  send(command: UpdateCommand): Promise<UpdateCommandOutput>;
  send(command: DeleteCommand): Promise<DeleteCommandOutput>;
  send(command: QueryCommand): Promise<QueryCommandOutput>;
  send(command: ScanCommand): Promise<ScanCommandOutput>;
  send(command: BatchGetCommand): Promise<BatchGetCommandOutput>;
  send(command: BatchWriteCommand): Promise<BatchWriteCommandOutput>;
  async send(command: GetCommand | PutCommand | UpdateCommand | DeleteCommand | QueryCommand | ScanCommand | BatchGetCommand | BatchWriteCommand): Promise<unknown> {
    const input = command.input as AnyInput;
    if (command instanceof GetCommand) return withItem(await this.client.send(new GetItemCommand(withKey(input) as never)));
    if (command instanceof PutCommand) return withAttributes(await this.client.send(new PutItemCommand(withValues({ ...input, Item: marshallItem(input.Item as Item) }) as never)));
    if (command instanceof UpdateCommand) return withAttributes(await this.client.send(new UpdateItemCommand(withValues(withKey(input)) as never)));
    if (command instanceof DeleteCommand) return withAttributes(await this.client.send(new DeleteItemCommand(withValues(withKey(input)) as never)));
    if (command instanceof QueryCommand) return withItems(await this.client.send(new QueryItemsCommand(withStartKey(withValues(input)) as never)));
    if (command instanceof ScanCommand) return withItems(await this.client.send(new ScanItemsCommand(withStartKey(withValues(input)) as never)));
    if (command instanceof BatchGetCommand) return batchGetOutput(await this.client.send(new BatchGetItemCommand({ ...input, RequestItems: keysRequest(input.RequestItems as KeysRequest) } as never)));
    if (command instanceof BatchWriteCommand) return batchWriteOutput(await this.client.send(new BatchWriteItemCommand({ ...input, RequestItems: writesRequest(input.RequestItems as WritesRequest) } as never)));
    throw new TypeError('not a DocumentClient command this client sends');
  }

  destroy(): void {
    this.client.destroy();
  }
}

/** A DynamoDB client as the gateway configures it, with its handler cache on (see ItemClient). */
export function cachedDynamoClient(config: DynamoDBClientConfig): DynamoDBClient {
  const client = new DynamoDBClient({ ...config, cacheMiddleware: true });
  // With no logger configured, the logger middleware still copies every input and output through
  // the sensitive-member filter on each call to hand it to a no-op.
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

/**
 * For the gateway's own dynalite on loopback only: the SigV4 scheme with a
 * signer that writes the Authorization header's shape (dynalite refuses a
 * request without one) but computes no signature, which dynalite never
 * verifies. Signing was about 5 % of the main thread per DynamoDB call
 * (canonical request, hashes, HMAC chain; bench/README.md). Any other
 * endpoint, DynamoDB or a dynalite of another process, gets the SDK's signer.
 */
export function unsignedAuth(): Pick<DynamoDBClientConfig, 'httpAuthSchemes'> {
  return {
    httpAuthSchemes: [
      {
        schemeId: 'aws.auth#sigv4',
        identityProvider: (config) => config.getIdentityProvider('aws.auth#sigv4'),
        signer: {
          sign: (request) => {
            const headers = (request as { headers: Record<string, string> }).headers;
            headers['x-amz-date'] = UNSIGNED_DATE;
            headers.authorization = UNSIGNED_AUTHORIZATION;
            return Promise.resolve(request);
          },
        },
      },
    ],
  };
}

/** What dynalite checks is there: the algorithm, a credential scope, the signed headers, a signature and a date. */
const UNSIGNED_DATE = '20260101T000000Z';
const UNSIGNED_AUTHORIZATION = 'AWS4-HMAC-SHA256 Credential=c360-local/20260101/local/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=unsigned';

/** The call's outcome, or the signal's reason once it aborts first (the call is left to finish or time out on its socket). */
export function untilAborted<T>(call: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return call;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

type KeysRequest = Record<string, { Keys?: Item[] } & AnyInput>;
type WritesRequest = Record<string, Array<{ PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }>>;

function marshallItem(item: Item): Attributes {
  return marshall(item, MARSHALL) as Attributes;
}

function unmarshallItem(item: Attributes): Item {
  return unmarshall(item, { wrapNumbers: false });
}

function withKey(input: AnyInput): AnyInput {
  return { ...input, Key: marshallItem(input.Key as Item) };
}

function withValues(input: AnyInput): AnyInput {
  const values = input.ExpressionAttributeValues as Item | undefined;
  if (!values) return input;
  const marshalled: Attributes = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) marshalled[name] = convertToAttr(value, MARSHALL);
  return { ...input, ExpressionAttributeValues: marshalled };
}

function withStartKey(input: AnyInput): AnyInput {
  return input.ExclusiveStartKey ? { ...input, ExclusiveStartKey: marshallItem(input.ExclusiveStartKey as Item) } : input;
}

function keysRequest(request: KeysRequest): AnyInput {
  return Object.fromEntries(Object.entries(request).map(([table, entry]) => [table, { ...entry, Keys: entry.Keys?.map(marshallItem) }]));
}

function writesRequest(request: WritesRequest): AnyInput {
  return Object.fromEntries(
    Object.entries(request).map(([table, writes]) => [
      table,
      writes.map((write) =>
        write.PutRequest ? { PutRequest: { Item: marshallItem(write.PutRequest.Item) } } : { DeleteRequest: { Key: marshallItem(write.DeleteRequest!.Key) } },
      ),
    ]),
  );
}

function withItem<T extends { Item?: Attributes }>(output: T): unknown {
  return output.Item ? { ...output, Item: unmarshallItem(output.Item) } : output;
}

function withAttributes<T extends { Attributes?: Attributes }>(output: T): unknown {
  return output.Attributes ? { ...output, Attributes: unmarshallItem(output.Attributes) } : output;
}

function withItems<T extends { Items?: Attributes[]; LastEvaluatedKey?: Attributes }>(output: T): unknown {
  return {
    ...output,
    Items: output.Items?.map(unmarshallItem),
    LastEvaluatedKey: output.LastEvaluatedKey ? unmarshallItem(output.LastEvaluatedKey) : undefined,
  };
}

function batchGetOutput(output: BatchGetItemCommandOutput): unknown {
  return {
    ...output,
    Responses: output.Responses && Object.fromEntries(Object.entries(output.Responses).map(([table, items]) => [table, items.map(unmarshallItem)])),
    UnprocessedKeys:
      output.UnprocessedKeys &&
      Object.fromEntries(Object.entries(output.UnprocessedKeys).map(([table, entry]) => [table, { ...entry, Keys: entry.Keys?.map(unmarshallItem) }])),
  };
}

function batchWriteOutput(output: BatchWriteItemCommandOutput): unknown {
  return {
    ...output,
    UnprocessedItems:
      output.UnprocessedItems &&
      Object.fromEntries(
        Object.entries(output.UnprocessedItems).map(([table, writes]) => [
          table,
          writes.map((write) =>
            write.PutRequest?.Item ? { PutRequest: { Item: unmarshallItem(write.PutRequest.Item) } } : { DeleteRequest: { Key: unmarshallItem(write.DeleteRequest?.Key ?? {}) } },
          ),
        ]),
      ),
  };
}
