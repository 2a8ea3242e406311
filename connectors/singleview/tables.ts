import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * The single view's tables. Each access pattern is one key lookup or one
 * Query: customers by id (BatchGetItem), identifier → customer (BatchGetItem
 * on the identity index), a customer's events by time (Query on the sort key
 * `occurredAt#eventId`), a customer's audit trail by time, API keys by id,
 * `track` idempotency keys by key, a customer's consent history and identity
 * change log by time, erasure jobs by customer, the suppression list of
 * erased identifiers by keyed hash, the gateway's rate-limit buckets by
 * principal (src/ratelimit/dynamodb.ts), and merge suggestions by id and,
 * through an index, by status and time.
 */
export interface TableNames {
  readonly customers: string;
  readonly identities: string;
  readonly events: string;
  readonly audit: string;
  readonly apiKeys: string;
  readonly meta: string;
  readonly idempotency: string;
  readonly consentHistory: string;
  readonly identityLog: string;
  readonly erasures: string;
  readonly suppressions: string;
  readonly rateLimits: string;
  readonly mergeSuggestions: string;
}

/** The index that lists merge suggestions by status, newest first (`listKey` = `createdAt#id`). */
export const SUGGESTIONS_BY_STATUS = 'by_status';

export function tableNames(prefix: string): TableNames {
  return {
    customers: `${prefix}customers`,
    identities: `${prefix}identities`,
    events: `${prefix}events`,
    audit: `${prefix}audit`,
    apiKeys: `${prefix}api_keys`,
    meta: `${prefix}meta`,
    idempotency: `${prefix}idempotency`,
    consentHistory: `${prefix}consent_history`,
    identityLog: `${prefix}identity_log`,
    erasures: `${prefix}erasures`,
    suppressions: `${prefix}suppressions`,
    rateLimits: `${prefix}rate_limits`,
    mergeSuggestions: `${prefix}merge_suggestions`,
  };
}

function hashTable(name: string, key: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
  };
}

function rangeTable(name: string, hash: string, range: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: hash, AttributeType: 'S' },
      { AttributeName: range, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: hash, KeyType: 'HASH' },
      { AttributeName: range, KeyType: 'RANGE' },
    ],
  };
}

/** Suggestions by id, and by status for listing: operators list a few at a time, so one partition per status is no hot key. */
function suggestionsTable(name: string): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'id', AttributeType: 'S' },
      { AttributeName: 'status', AttributeType: 'S' },
      { AttributeName: 'listKey', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: SUGGESTIONS_BY_STATUS,
        KeySchema: [
          { AttributeName: 'status', KeyType: 'HASH' },
          { AttributeName: 'listKey', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

export function tableDefinitions(names: TableNames): CreateTableCommandInput[] {
  return [
    hashTable(names.customers, 'id'),
    hashTable(names.identities, 'key'),
    rangeTable(names.events, 'customerId', 'sk'),
    rangeTable(names.audit, 'customerId', 'sk'),
    hashTable(names.apiKeys, 'keyId'),
    hashTable(names.meta, 'id'),
    hashTable(names.idempotency, 'key'),
    rangeTable(names.consentHistory, 'customerId', 'sk'),
    rangeTable(names.identityLog, 'customerId', 'sk'),
    hashTable(names.erasures, 'customerId'),
    hashTable(names.suppressions, 'hash'),
    hashTable(names.rateLimits, 'bucket'),
    suggestionsTable(names.mergeSuggestions),
  ];
}

/** Creates the tables that do not exist yet and waits until all are ACTIVE. Safe to run on every start. */
export async function ensureTables(client: DynamoDBClient, definitions: readonly CreateTableCommandInput[]): Promise<void> {
  await Promise.all(definitions.map((definition) => ensureTable(client, definition)));
}

async function ensureTable(client: DynamoDBClient, definition: CreateTableCommandInput): Promise<void> {
  const TableName = definition.TableName!;
  try {
    const described = await client.send(new DescribeTableCommand({ TableName }));
    if (described.Table?.TableStatus === 'ACTIVE') return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await client.send(new CreateTableCommand(definition));
    } catch (createError) {
      // Another gateway instance created it first.
      if (!(createError instanceof ResourceInUseException)) throw createError;
    }
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { TableName });
}
