import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSingleView } from '../connectors/singleview/index.js';
import { EXPIRY_ATTRIBUTE } from '../connectors/singleview/retention.js';
import { TablesNotReadyError, ensureTables, tableDefinitions, tableNames } from '../connectors/singleview/tables.js';
import { cloudFormationTemplate, logicalId, TEMPLATE_FILE, templateText } from '../scripts/cloudformation.js';
import { startEmbeddedDynamo } from '../src/embedded/dynalite.js';
import type { EmbeddedDynamo } from '../src/embedded/dynalite.js';
import { DynamoRateLimitStore } from '../src/ratelimit/dynamodb.js';
import { SourceStartError } from '../src/sourceStart.js';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const DAY = 86_400;

describe('deploy/aws/cloudformation.yaml and the tables the gateway creates', () => {
  const template = parse(readFileSync(TEMPLATE_FILE, 'utf8')) as { Resources: Record<string, { Properties: Record<string, unknown> }> };

  it('is the template npm run deploy:template writes now (not stale)', () => {
    expect(readFileSync(TEMPLATE_FILE, 'utf8')).toBe(templateText());
    expect(template).toEqual(cloudFormationTemplate());
  });

  it('declares every table as the gateway creates it: keys, indexes, on-demand, point-in-time recovery, and TTL where items expire', () => {
    const definitions = tableDefinitions(tableNames('c360_'));
    expect(Object.keys(template.Resources).sort()).toEqual(definitions.map((definition) => logicalId(definition.role)).sort());
    for (const definition of definitions) {
      const properties = template.Resources[logicalId(definition.role)]!.Properties;
      expect(properties.TableName).toEqual({ 'Fn::Sub': `\${TablePrefix}${definition.create.TableName!.slice('c360_'.length)}` });
      expect(properties.KeySchema).toEqual(definition.create.KeySchema);
      expect(properties.AttributeDefinitions).toEqual(definition.create.AttributeDefinitions);
      expect(properties.GlobalSecondaryIndexes).toEqual(definition.create.GlobalSecondaryIndexes);
      expect(properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(definition.create.BillingMode).toBe('PAY_PER_REQUEST');
      expect(properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(properties.TimeToLiveSpecification).toEqual(definition.ttlAttribute ? { AttributeName: definition.ttlAttribute, Enabled: true } : undefined);
    }
    // The tables whose items the gateway gives an expiry.
    expect(definitions.filter((definition) => definition.ttlAttribute).map((definition) => definition.role)).toEqual(['events', 'audit', 'idempotency', 'rateLimits', 'jobs']);
  });
});

describe('expiry attributes as the DynamoDB adapter writes them (dynalite)', () => {
  let dynamo: EmbeddedDynamo;
  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo(undefined);
  });
  afterAll(() => dynamo?.close());

  async function itemsOf(store: Awaited<ReturnType<typeof createSingleView>>, table: string) {
    return (await store.document.send(new ScanCommand({ TableName: table }))).Items ?? [];
  }

  it('gives audit records, events and idempotency keys the configured retention, and none when it is 0', async () => {
    const store = await createSingleView({
      endpoint: dynamo.endpoint,
      region: 'us-east-1',
      credentials: CREDENTIALS,
      tablePrefix: `r${randomUUID().slice(0, 6)}_`,
      retention: { auditDays: 30, idempotencyDays: 2, eventDays: 0 },
    });
    try {
      const at = '2026-11-01T10:00:00.000Z';
      const epoch = Date.parse(at) / 1000;
      await store.appendAudit({ id: 'a1', at, principal: 'key_1', purpose: 'SUPPORT', operation: 'CallCentre', customerIds: ['cus_1'], fields: [], traceId: null });
      await store.putEvents([{ id: 'evt_1', customerId: 'cus_1', type: 'Page Viewed', occurredAt: at, receivedAt: at, channel: null, source: 'test', properties: null }]);
      await store.claimIdempotencyKey({ key: 'key_1#k1', eventId: 'evt_1', customerId: 'cus_1', occurredAt: at, claimedAt: at, expiresAt: 0 });
      expect((await itemsOf(store, store.tables.audit)).map((item) => item[EXPIRY_ATTRIBUTE])).toEqual([epoch + 30 * DAY]);
      expect((await itemsOf(store, store.tables.idempotency)).map((item) => item[EXPIRY_ATTRIBUTE])).toEqual([epoch + 2 * DAY]);
      expect((await itemsOf(store, store.tables.events)).map((item) => EXPIRY_ATTRIBUTE in item)).toEqual([false]);
    } finally {
      await store.close();
    }
  });

  it('keeps events 730 days, audit 400 and idempotency keys 7 by default; rate-limit windows expire 5 minutes after they end', async () => {
    const store = await createSingleView({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: CREDENTIALS, tablePrefix: `d${randomUUID().slice(0, 6)}_` });
    try {
      const at = '2026-11-01T10:00:00.000Z';
      const epoch = Date.parse(at) / 1000;
      await store.appendAudit({ id: 'a1', at, principal: 'key_1', purpose: 'SUPPORT', operation: 'CallCentre', customerIds: ['cus_1'], fields: [], traceId: null });
      await store.putEvents([{ id: 'evt_1', customerId: 'cus_1', type: 'Page Viewed', occurredAt: at, receivedAt: at, channel: null, source: 'test', properties: null }]);
      await store.claimIdempotencyKey({ key: 'key_1#k1', eventId: 'evt_1', customerId: 'cus_1', occurredAt: at, claimedAt: at, expiresAt: 0 });
      await new DynamoRateLimitStore(store.document, store.tables.rateLimits).lease({ key: 'key_1', windowStart: Date.parse(at), windowMs: 60_000, tokens: 1, limit: 10 });
      expect((await itemsOf(store, store.tables.audit))[0]![EXPIRY_ATTRIBUTE]).toBe(epoch + 400 * DAY);
      expect((await itemsOf(store, store.tables.events))[0]![EXPIRY_ATTRIBUTE]).toBe(epoch + 730 * DAY);
      expect((await itemsOf(store, store.tables.idempotency))[0]![EXPIRY_ATTRIBUTE]).toBe(epoch + 7 * DAY);
      expect((await itemsOf(store, store.tables.rateLimits))[0]![EXPIRY_ATTRIBUTE]).toBe(epoch + 60 + 300);
    } finally {
      await store.close();
    }
  });
});

describe('C360_CREATE_TABLES=false: the gateway checks the tables instead of creating them', () => {
  let dynamo: EmbeddedDynamo;
  let client: DynamoDBClient;
  beforeAll(async () => {
    dynamo = await startEmbeddedDynamo(undefined);
    client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  });
  afterAll(async () => {
    client?.destroy();
    await dynamo?.close();
  });

  it('refuses to start on missing tables, naming each, and creates none', async () => {
    const prefix = `m${randomUUID().slice(0, 6)}_`;
    const error = await createSingleView({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: CREDENTIALS, tablePrefix: prefix, createTables: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TablesNotReadyError);
    const message = (error as Error).message;
    for (const table of Object.values(tableNames(prefix))) expect(message).toContain(`table ${table} does not exist`);
    expect(message).toContain('deploy/aws/cloudformation.yaml');
    const { TableNames = [] } = await client.send(new ListTablesCommand({}));
    expect(TableNames.filter((name) => name.startsWith(prefix))).toEqual([]);
    // Start-up shows the tables (no secret in them), not only the error's class.
    expect(SourceStartError.cannotOpen('singleview', error).message).toContain(`table ${prefix}customers does not exist`);
  });

  it('creates missing tables by default and turns TTL on for the tables whose items expire (dynalite answers it does not know the call, which is fine)', async () => {
    const recording = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    const ttlCalls: string[] = [];
    recording.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateTimeToLiveCommand') ttlCalls.push(`${(args.input as { TableName: string }).TableName}:${(args.input as { TimeToLiveSpecification: { AttributeName: string } }).TimeToLiveSpecification.AttributeName}`);
        return next(args);
      },
      { step: 'initialize' },
    );
    const prefix = `t${randomUUID().slice(0, 6)}_`;
    try {
      await ensureTables(recording, tableDefinitions(tableNames(prefix)));
      expect(ttlCalls.sort()).toEqual([`${prefix}audit:expiresAt`, `${prefix}events:expiresAt`, `${prefix}idempotency:expiresAt`, `${prefix}jobs:expiresAt`, `${prefix}rate_limits:expiresAt`]);
      // A second start finds them all and changes nothing.
      await ensureTables(recording, tableDefinitions(tableNames(prefix)));
      expect(ttlCalls).toHaveLength(5);
    } finally {
      recording.destroy();
    }
  });

  it('opens tables that exist as defined', async () => {
    const prefix = `e${randomUUID().slice(0, 6)}_`;
    const created = await createSingleView({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: CREDENTIALS, tablePrefix: prefix });
    await created.close();
    const checked = await createSingleView({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: CREDENTIALS, tablePrefix: prefix, createTables: false });
    await checked.health();
    await checked.close();
  });
});
