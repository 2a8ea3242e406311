import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, PutItemCommand, QueryCommand, ScanCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS, generateDemoData } from '../src/embedded/demoData.js';
import { loadConfig } from '../src/config.js';
import { startEmbeddedDynamo } from '../src/embedded/dynalite.js';
import { createSingleView } from '../connectors/singleview/index.js';
import { authorizations } from './support/middleware.js';
import { RAW_WRITE_HEADERS } from '../bench/lib/scenarios.js';
import { crmOf, loyaltyOf } from './support/demo.js';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';

describe('embedded demo data', () => {
  const full = generateDemoData({ customers: loadConfig({}).demo.customers, seed: 360 });

  it('is deterministic for a seed', () => {
    expect(generateDemoData({ customers: 50, seed: 7 })).toEqual(generateDemoData({ customers: 50, seed: 7 }));
    expect(generateDemoData({ customers: 50, seed: 7 })).not.toEqual(generateDemoData({ customers: 50, seed: 8 }));
  });

  it('holds at least 1,000 customers by default, each with several identities, events over 90 days, consents', () => {
    expect(full.customers.length).toBeGreaterThanOrEqual(1000);
    for (const customer of full.customers) {
      expect(customer.identities.filter((i) => i.type === 'EMAIL' || i.type === 'PHONE' || i.type === 'ANONYMOUS_ID').length).toBeGreaterThanOrEqual(3);
      expect(customer.consents.length).toBe(3);
    }
    const times = full.events.map((e) => Date.parse(e.occurredAt));
    expect((Math.max(...times) - Math.min(...times)) / 86_400_000).toBeGreaterThan(85);
    expect(full.crm.length).toBeGreaterThan(full.customers.length / 2);
    expect(full.crm.some((c) => c.cases.length > 0)).toBe(true);
    expect(full.loyalty.length).toBeGreaterThan(full.customers.length / 2);
    expect(full.customers.filter((c) => c.segments.length > 0).length).toBeGreaterThan(full.customers.length / 4);
    const identities = full.customers.flatMap((c) => c.identities.map((i) => `${i.type}#${i.value}`));
    expect(new Set(identities).size).toBe(identities.length);
  });

  it('holds the two documented customers, alike but for marketing consent', () => {
    const consent = full.customers.find((c) => c.id === DEMO_CUSTOMERS.consent.id)!;
    const noConsent = full.customers.find((c) => c.id === DEMO_CUSTOMERS.noConsent.id)!;
    const marketing = (c: typeof consent) => c.consents.find((x) => x.purpose === 'MARKETING')?.status;
    expect([consent.profile.email, marketing(consent)]).toEqual(['demo.customer@example.com', 'GRANTED']);
    expect([noConsent.profile.email, marketing(noConsent)]).toEqual(['demo.noconsent@example.com', 'DENIED']);
    // The login each signs in with: what a customer token for them names (docs/security.md, "Tokens").
    expect(consent.identities.filter((i) => i.type === 'USER_ID').map((i) => i.value)).toEqual([DEMO_CUSTOMERS.consent.login]);
    expect(noConsent.identities.filter((i) => i.type === 'USER_ID').map((i) => i.value)).toEqual([DEMO_CUSTOMERS.noConsent.login]);
    for (const customer of [consent, noConsent]) {
      expect(loyaltyOf(customer.id, full)).not.toBeNull();
      expect(crmOf(customer.id, full)?.cases.length).toBeGreaterThan(0);
      expect(full.events.filter((e) => e.customerId === customer.id).length).toBeGreaterThan(10);
      expect(customer.segments.length).toBeGreaterThan(0);
    }
  });
});

describe('embedded data directory', () => {
  const dirs: string[] = [];
  afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('is seeded once and kept across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'c360-data-'));
    dirs.push(dataDir);
    const env = { C360_DATA_DIR: dataDir, C360_DEMO_CUSTOMERS: '30' };
    const query = '{ customer(id: "cus_000007") { id loyalty { tier } crm { accountManager } } }';

    const first = await startTestGateway(env);
    const before = withoutTraceId((await graphql(first.url, query, { purpose: 'support' })).body);
    await first.close();
    expect(first.logs.filter((line) => line.includes('demo data loaded into the single view'))).toHaveLength(1);
    expect((await readdir(dataDir)).sort()).toEqual(['crm.json', 'dynamodb', 'loyalty.json']);

    const second = await startTestGateway(env);
    const after = withoutTraceId((await graphql(second.url, query, { purpose: 'support' })).body);
    await second.close();
    expect(second.logs.filter((line) => line.includes('demo data loaded into the single view'))).toHaveLength(0);
    expect(after).toEqual(before);
    expect(after).toEqual({ data: { customer: { id: 'cus_000007', loyalty: expect.anything(), crm: expect.anything() } }, extensions: { privacy: { purpose: 'SUPPORT', fields: [] } } });
  });
});

describe('embedded dynalite', () => {
  it("is asked without a computed signature by the gateway's own client only; the SDK signs for any other", async () => {
    const dynamo = await startEmbeddedDynamo(undefined);
    const connection = { endpoint: dynamo.endpoint, region: 'local', tablePrefix: 'sig_', credentials: { accessKeyId: 'c360-local', secretAccessKey: 'c360-local' } };
    const own = await createSingleView({ ...connection, unsigned: true });
    const other = await createSingleView(connection);
    try {
      const ownSeen = authorizations(own.client);
      const otherSeen = authorizations(other.client);
      const [customer] = generateDemoData({ customers: 1, seed: 5 }).customers;
      expect(await own.createCustomer({ ...customer!, version: 1 })).toBe('written');
      // Written unsigned, read back through both clients alike.
      for (const store of [own, other]) expect((await store.getCustomers([customer!.id]))[0]).toMatchObject({ id: customer!.id, version: 1 });
      expect(ownSeen.length).toBeGreaterThan(0);
      expect(new Set(ownSeen)).toEqual(new Set([expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=c360-local\/.*Signature=unsigned$/)]));
      expect(otherSeen.length).toBeGreaterThan(0);
      for (const authorization of otherSeen) expect(authorization).toMatch(/Signature=[0-9a-f]{64}$/);
    } finally {
      await own.close();
      await other.close();
      await dynamo.close();
    }
  });

  it('closes the LevelDB iterator of every Query and Scan, read to the end or stopped at a Limit', async () => {
    // An iterator left open keeps LevelDB's memory it read from for the life of the process (docs/capacity.md, "Memory").
    const dataDir = await mkdtemp(join(tmpdir(), 'c360-iterators-'));
    const dynamo = await startEmbeddedDynamo(dataDir);
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'c360-local', secretAccessKey: 'c360-local' } });
    try {
      await client.send(
        new CreateTableCommand({
          TableName: 'iterators',
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      // dynalite creates a table in the background (CREATING, then ACTIVE), as DynamoDB does.
      await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 }, { TableName: 'iterators' });
      for (let i = 0; i < 5; i++) await client.send(new PutItemCommand({ TableName: 'iterators', Item: { pk: { S: 'a' }, sk: { S: `s${i}` } } }));
      const queries = 20;
      for (let i = 0; i < queries; i++) {
        const all = await client.send(new QueryCommand({ TableName: 'iterators', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'a' } } }));
        const first = await client.send(new QueryCommand({ TableName: 'iterators', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'a' } }, Limit: 1 }));
        const scanned = await client.send(new ScanCommand({ TableName: 'iterators', Limit: 2 }));
        expect([all.Count, first.Count, scanned.Count]).toEqual([5, 1, 2]);
      }
      const stats = await dynamo.stats();
      expect(stats.openResources).toBe(0);
      expect(stats.heapUsedBytes).toBeGreaterThan(0);
      expect(stats.heapTotalBytes).toBeGreaterThanOrEqual(stats.heapUsedBytes);
    } finally {
      client.destroy();
      await dynamo.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("answers from its own thread, while the gateway's event loop is busy", async () => {
    const dynamo = await startEmbeddedDynamo(undefined);
    try {
      // Another process asks dynalite for its tables and prints when the answer came.
      const listTables = { ...RAW_WRITE_HEADERS, 'x-amz-target': 'DynamoDB_20120810.ListTables' };
      const client = spawn(process.execPath, [
        '-e',
        `fetch(${JSON.stringify(dynamo.endpoint)}, { method: 'POST', headers: ${JSON.stringify(listTables)}, body: '{}' })
          .then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.json(), at: Date.now() })))`,
      ]);
      let output = '';
      client.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<void>((resolve) => client.once('exit', () => resolve()));
      // This thread does nothing else for 4 s: the client's node starts, asks and is answered meanwhile.
      const busyUntil = Date.now() + 4_000;
      while (Date.now() < busyUntil) {
        /* busy */
      }
      await exited;
      const answer = JSON.parse(output) as { status: number; body: unknown; at: number };
      expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { TableNames: [] } });
      expect(answer.at).toBeLessThan(busyUntil);
    } finally {
      await dynamo.close();
    }
  });
});
