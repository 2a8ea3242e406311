import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EXPIRY_ATTRIBUTE } from './retention.js';

/**
 * The single view's tables. Each access pattern is one key lookup or one
 * Query: customers by id with their activity items (one BatchGetItem over both tables), identifier → customer (BatchGetItem
 * on the identity index), a customer's events by time (Query on the sort key
 * `occurredAt#eventId`), a customer's audit trail by time, API keys by id,
 * `track` idempotency keys by key, a customer's consent history and identity
 * change log by time, erasure jobs by customer, the suppression list of
 * erased identifiers by keyed hash, the gateway's rate-limit buckets by
 * principal (src/ratelimit/dynamodb.ts), merge suggestions by id and,
 * through an index, by status and time, and background jobs by id (listed by
 * a scan: open jobs are few, finished ones expire).
 * through an index, by status and time, and the segment index (members per
 * segment, customers by due time, the change outbox: segmentIndex.ts).
 */
export interface TableNames {
  readonly customers: string;
  /** Each customer's activity (customerActivity.ts): what a `track` changes, in a small item of its own. */
  readonly customerActivity: string;
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
  readonly jobs: string;
  readonly segmentIndex: string;
}

/** The index that lists merge suggestions by status, newest first (`listKey` = `createdAt#id`). */
export const SUGGESTIONS_BY_STATUS = 'by_status';

export function tableNames(prefix: string): TableNames {
  return {
    customers: `${prefix}customers`,
    customerActivity: `${prefix}customer_activity`,
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
    jobs: `${prefix}jobs`,
    segmentIndex: `${prefix}segment_index`,
  };
}

/**
 * One table as the gateway creates it and as deploy/aws/cloudformation.yaml
 * declares it (scripts/cloudformation.ts writes the template from these
 * definitions; test/tables.test.ts proves they agree): on-demand capacity,
 * and TTL on the expiry attribute where the gateway writes one.
 */
export interface TableDefinition {
  /** Which of the single view's tables (its name without the prefix). */
  readonly role: keyof TableNames;
  readonly create: CreateTableCommandInput;
  /** The attribute DynamoDB TTL deletes items by (epoch seconds), in tables whose items expire. */
  readonly ttlAttribute?: string;
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

export function tableDefinitions(names: TableNames): TableDefinition[] {
  return [
    { role: 'customers', create: hashTable(names.customers, 'id') },
    { role: 'customerActivity', create: hashTable(names.customerActivity, 'id') },
    { role: 'identities', create: hashTable(names.identities, 'key') },
    { role: 'events', create: rangeTable(names.events, 'customerId', 'sk'), ttlAttribute: EXPIRY_ATTRIBUTE },
    { role: 'audit', create: rangeTable(names.audit, 'customerId', 'sk'), ttlAttribute: EXPIRY_ATTRIBUTE },
    { role: 'apiKeys', create: hashTable(names.apiKeys, 'keyId') },
    { role: 'meta', create: hashTable(names.meta, 'id') },
    { role: 'idempotency', create: hashTable(names.idempotency, 'key'), ttlAttribute: EXPIRY_ATTRIBUTE },
    { role: 'consentHistory', create: rangeTable(names.consentHistory, 'customerId', 'sk') },
    { role: 'identityLog', create: rangeTable(names.identityLog, 'customerId', 'sk') },
    { role: 'erasures', create: hashTable(names.erasures, 'customerId') },
    { role: 'suppressions', create: hashTable(names.suppressions, 'hash') },
    { role: 'rateLimits', create: hashTable(names.rateLimits, 'bucket'), ttlAttribute: EXPIRY_ATTRIBUTE },
    { role: 'mergeSuggestions', create: suggestionsTable(names.mergeSuggestions) },
    { role: 'jobs', create: hashTable(names.jobs, 'id'), ttlAttribute: EXPIRY_ATTRIBUTE },
    { role: 'segmentIndex', create: rangeTable(names.segmentIndex, 'pk', 'sk') },
  ];
}

/**
 * The tables are missing or not as defined, and the gateway may not create
 * them (C360_CREATE_TABLES=false). Its message names only tables, which are
 * no secret, so start-up shows it as it is.
 */
export class TablesNotReadyError extends Error {
  override readonly name = 'TablesNotReadyError';
  readonly startDetail: string;
  constructor(problems: readonly string[]) {
    super(`${problems.join('; ')}. Create the tables from deploy/aws/cloudformation.yaml (docs/deploy.md), or let the gateway create them (C360_CREATE_TABLES=true)`);
    this.startDetail = this.message;
  }
}

/**
 * `create` (the default): creates the tables that do not exist yet, with TTL
 * on their expiry attribute, and waits until all are ACTIVE; safe to run on
 * every start, and a table that exists is left as it is. Otherwise: checks
 * that every table exists with the defined key schema, and refuses to start
 * (TablesNotReadyError) when one does not; the gateway's role then needs no
 * CreateTable (deploy/aws/iam-policy.json).
 */
export async function ensureTables(
  client: DynamoDBClient,
  definitions: readonly TableDefinition[],
  options: { readonly create?: boolean } = {},
): Promise<void> {
  if (options.create === false) {
    const problems = (await Promise.all(definitions.map((definition) => checkTable(client, definition)))).filter((problem) => problem !== undefined);
    if (problems.length > 0) throw new TablesNotReadyError(problems);
    return;
  }
  await Promise.all(definitions.map((definition) => ensureTable(client, definition)));
}

async function ensureTable(client: DynamoDBClient, definition: TableDefinition): Promise<void> {
  const TableName = definition.create.TableName!;
  try {
    const described = await client.send(new DescribeTableCommand({ TableName }));
    if (described.Table?.TableStatus === 'ACTIVE') return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    try {
      await client.send(new CreateTableCommand(definition.create));
    } catch (createError) {
      // Another gateway instance created it first.
      if (!(createError instanceof ResourceInUseException)) throw createError;
    }
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { TableName });
  if (definition.ttlAttribute) await enableTtl(client, TableName, definition.ttlAttribute);
}

/** TTL on a table this gateway just created. dynalite keeps items forever and does not know the call: nothing to enable there. */
async function enableTtl(client: DynamoDBClient, TableName: string, AttributeName: string): Promise<void> {
  try {
    await client.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { Enabled: true, AttributeName } }));
  } catch (error) {
    const name = (error as Error).name;
    // Already on (another instance enabled it first), or an endpoint without TTL (dynalite).
    if (name === 'UnknownOperationException' || (name === 'ValidationException' && /already enabled/i.test((error as Error).message))) return;
    throw error;
  }
}

/** What is wrong with one table, or undefined when it exists as defined. */
async function checkTable(client: DynamoDBClient, definition: TableDefinition): Promise<string | undefined> {
  const TableName = definition.create.TableName!;
  let described;
  try {
    described = await client.send(new DescribeTableCommand({ TableName }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return `table ${TableName} does not exist`;
    throw error;
  }
  const keys = (schema: readonly { AttributeName?: string | undefined; KeyType?: string | undefined }[] | undefined) =>
    (schema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(',');
  if (keys(described.Table?.KeySchema) !== keys(definition.create.KeySchema)) return `table ${TableName} has another key schema than the gateway's`;
  for (const index of definition.create.GlobalSecondaryIndexes ?? []) {
    if (!described.Table?.GlobalSecondaryIndexes?.some((found) => found.IndexName === index.IndexName)) return `table ${TableName} lacks the index ${index.IndexName}`;
  }
  if (described.Table?.TableStatus !== 'ACTIVE') await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { TableName });
  return undefined;
}
