import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { z } from 'zod';
import type { CallOptions } from '../resilience/callOptions.js';
import { malformedPayload } from '../resilience/sourceError.js';
import type {
  ApiKeyRecord,
  AuditPage,
  AuditPosition,
  AuditRecordModel,
  CustomerRecord,
  EventPage,
  EventQuery,
  EventRecord,
  IdentityKey,
  MergeLink,
  SingleViewPort,
} from './port.js';
import {
  apiKeyItemSchema,
  auditItemSchema,
  customerItemSchema,
  eventItemSchema,
  identityIndexItemSchema,
  mergeLinkSchema,
} from './schemas.js';
import { tableNames } from './tables.js';
import type { TableNames } from './tables.js';

export interface DynamoConnection {
  readonly endpoint?: string | undefined;
  readonly region: string;
  /** Static credentials, for dynalite; real DynamoDB uses the default AWS chain. */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  readonly tablePrefix: string;
}

type Item = Record<string, NativeAttributeValue>;

const SOURCE = 'singleview';
/** DynamoDB's BatchGetItem limit. */
const BATCH_GET_LIMIT = 100;
/** DynamoDB's BatchWriteItem limit. */
const BATCH_WRITE_LIMIT = 25;

export function createDynamoClients(connection: DynamoConnection): { client: DynamoDBClient; document: DynamoDBDocumentClient } {
  const client = new DynamoDBClient({
    region: connection.region,
    endpoint: connection.endpoint,
    credentials: connection.credentials,
    maxAttempts: 1, // SourceGuard owns retries and the deadline.
    requestHandler: new NodeHttpHandler({
      httpAgent: new Agent({ keepAlive: true, maxSockets: 64 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
    }),
  });
  const document = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  return { client, document };
}

/** The single view on DynamoDB (or dynalite, which speaks the same API). */
export class DynamoSingleView implements SingleViewPort {
  readonly tables: TableNames;
  readonly client: DynamoDBClient;
  readonly document: DynamoDBDocumentClient;

  constructor(connection: DynamoConnection) {
    this.tables = tableNames(connection.tablePrefix);
    const { client, document } = createDynamoClients(connection);
    this.client = client;
    this.document = document;
  }

  async getCustomers(ids: readonly string[], options?: CallOptions): Promise<Array<CustomerRecord | null | Error>> {
    const items = await this.batchGet(this.tables.customers, 'id', ids, options);
    return ids.map((id) => {
      const item = items.get(id);
      return item ? parseItem(customerItemSchema, item) : null;
    });
  }

  async getMergeLinks(ids: readonly string[], options?: CallOptions): Promise<Array<MergeLink | null | Error>> {
    const items = await this.batchGet(this.tables.customers, 'id', ids, options, 'id, mergedInto');
    return ids.map((id) => {
      const item = items.get(id);
      return item ? parseItem(mergeLinkSchema, item) : null;
    });
  }

  async customerIdsByIdentity(keys: readonly IdentityKey[], options?: CallOptions): Promise<Array<string | null | Error>> {
    const indexKeys = keys.map(identityIndexKey);
    const items = await this.batchGet(this.tables.identities, 'key', indexKeys, options);
    return indexKeys.map((key) => {
      const item = items.get(key);
      if (!item) return null;
      const parsed = parseItem(identityIndexItemSchema, item);
      return parsed instanceof Error ? parsed : parsed.customerId;
    });
  }

  async getEvents(customerId: string, query: EventQuery, options?: CallOptions): Promise<EventPage> {
    const afterKey = query.after ? eventSortKey(query.after.occurredAt, query.after.id) : undefined;
    const lower = maxString(query.since, afterKey);
    const upper = query.until ? `${query.until}#\uffff` : undefined;
    const names: Record<string, string> = { '#c': 'customerId' };
    const values: Record<string, NativeAttributeValue> = { ':c': customerId };
    let condition = '#c = :c';
    if (lower !== undefined || upper !== undefined) names['#sk'] = 'sk';
    if (lower !== undefined && upper !== undefined) {
      condition += ' AND #sk BETWEEN :lo AND :hi';
      values[':lo'] = lower;
      values[':hi'] = upper;
    } else if (lower !== undefined) {
      condition += lower === afterKey ? ' AND #sk > :lo' : ' AND #sk >= :lo';
      values[':lo'] = lower;
    } else if (upper !== undefined) {
      condition += ' AND #sk <= :hi';
      values[':hi'] = upper;
    }
    let filter: string | undefined;
    if (query.types && query.types.length > 0) {
      names['#type'] = 'type';
      filter = `#type IN (${query.types.map((_, i) => `:t${i}`).join(', ')})`;
      query.types.forEach((type, i) => (values[`:t${i}`] = type));
    }
    const wanted = query.first + 1; // one more tells whether a next page exists
    const events: EventRecord[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.document.send(
        new QueryCommand({
          TableName: this.tables.events,
          KeyConditionExpression: condition,
          FilterExpression: filter,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ExclusiveStartKey: startKey,
          Limit: Math.max(wanted, 25),
          ScanIndexForward: true,
        }),
        { abortSignal: options?.signal },
      );
      for (const item of page.Items ?? []) {
        if (afterKey !== undefined && item.sk === afterKey) continue;
        events.push(parseOrThrow(eventItemSchema, item));
        if (events.length === wanted) break;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && events.length < wanted);
    return { events: events.slice(0, query.first), hasNextPage: events.length > query.first };
  }

  async getAuditTrail(customerId: string, first: number, after?: AuditPosition, options?: CallOptions): Promise<AuditPage> {
    const values: Record<string, NativeAttributeValue> = { ':c': customerId };
    let condition = 'customerId = :c';
    if (after) {
      condition += ' AND sk < :after';
      values[':after'] = `${after.at}#${after.id}`;
    }
    const page = await this.document.send(
      new QueryCommand({
        TableName: this.tables.audit,
        KeyConditionExpression: condition,
        ExpressionAttributeValues: values,
        Limit: first + 1,
        ScanIndexForward: false,
      }),
      { abortSignal: options?.signal },
    );
    const records = (page.Items ?? []).map((item) => parseOrThrow(auditItemSchema, item));
    return { records: records.slice(0, first), hasNextPage: records.length > first };
  }

  async appendAudit(record: AuditRecordModel, options?: CallOptions): Promise<void> {
    await this.appendAudits([record], options);
  }

  /**
   * One item per customer a record concerns, so each customer's trail is one
   * Query; each item keeps only that customer's fields, which also bounds its
   * size when a response covered many customers.
   */
  async appendAudits(records: readonly AuditRecordModel[], options?: CallOptions): Promise<Array<void | Error>> {
    const items = records.flatMap((record) => {
      const customers = record.customerIds.length > 0 ? record.customerIds : ['-'];
      return customers.map((customerId) => ({
        ...record,
        fields: JSON.stringify(
          record.fields.filter((field) => !field.customerId || field.customerId === customerId).map(({ customerId: _owner, ...field }) => field),
        ),
        customerId,
        sk: `${record.at}#${record.id}`,
      }));
    });
    await this.batchWrite(this.tables.audit, items, options);
    return records.map(() => undefined);
  }

  async getApiKey(keyId: string): Promise<ApiKeyRecord | null> {
    const result = await this.document.send(new GetCommand({ TableName: this.tables.apiKeys, Key: { keyId } }));
    return result.Item ? parseOrThrow(apiKeyItemSchema, result.Item) : null;
  }

  async putApiKey(key: ApiKeyRecord): Promise<void> {
    await this.document.send(new PutCommand({ TableName: this.tables.apiKeys, Item: { ...key } }));
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const keys: ApiKeyRecord[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.document.send(new ScanCommand({ TableName: this.tables.apiKeys, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) keys.push(parseOrThrow(apiKeyItemSchema, item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async health(options?: CallOptions): Promise<void> {
    await this.client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: options?.signal });
  }

  async close(): Promise<void> {
    this.document.destroy();
    this.client.destroy();
  }

  /** BatchGetItem in chunks of 100, deduplicated, retrying unprocessed keys. Items by key value. */
  async batchGet(
    table: string,
    keyName: string,
    keys: readonly string[],
    options?: CallOptions,
    projection?: string,
  ): Promise<Map<string, Item>> {
    const unique = [...new Set(keys)];
    const found = new Map<string, Item>();
    const chunks: string[][] = [];
    for (let i = 0; i < unique.length; i += BATCH_GET_LIMIT) chunks.push(unique.slice(i, i + BATCH_GET_LIMIT));
    await Promise.all(
      chunks.map(async (chunk) => {
        let request: Record<string, { Keys: Item[]; ProjectionExpression?: string }> | undefined = {
          [table]: { Keys: chunk.map((key) => ({ [keyName]: key })), ProjectionExpression: projection },
        };
        while (request && Object.keys(request).length > 0) {
          const result = await this.document.send(new BatchGetCommand({ RequestItems: request }), {
            abortSignal: options?.signal,
          });
          for (const item of result.Responses?.[table] ?? []) found.set(String(item[keyName]), item);
          request = result.UnprocessedKeys as typeof request;
        }
      }),
    );
    return found;
  }

  /** BatchWriteItem puts in chunks of 25, retrying unprocessed items. */
  async batchWrite(table: string, items: readonly Item[], options?: CallOptions): Promise<void> {
    for (let i = 0; i < items.length; i += BATCH_WRITE_LIMIT) {
      let request: Record<string, Array<{ PutRequest: { Item: Item } }>> | undefined = {
        [table]: items.slice(i, i + BATCH_WRITE_LIMIT).map((Item) => ({ PutRequest: { Item } })),
      };
      while (request && Object.keys(request).length > 0) {
        const result = await this.document.send(new BatchWriteCommand({ RequestItems: request }), {
          abortSignal: options?.signal,
        });
        request = result.UnprocessedItems as typeof request;
      }
    }
  }
}

export function identityIndexKey(key: IdentityKey): string {
  return `${key.type}#${key.value}`;
}

/** Timeline sort key: ISO timestamps of one width sort as strings, the id breaks ties. */
export function eventSortKey(occurredAt: string, id: string): string {
  return `${occurredAt}#${id}`;
}

function maxString(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

function parseItem<S extends z.ZodType>(schema: S, item: Item): z.output<S> | Error {
  const result = schema.safeParse(item);
  return result.success ? result.data : malformedPayload(SOURCE, result.error.issues);
}

function parseOrThrow<S extends z.ZodType>(schema: S, item: Item): z.output<S> {
  const parsed = parseItem(schema, item);
  if (parsed instanceof Error) throw parsed;
  return parsed;
}
