import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUGGESTIONS_BY_STATUS, tableDefinitions, tableNames } from '../connectors/singleview/tables.js';
import { IDEMPOTENCY_TTL_SECONDS } from '../src/identity/track.js';
import { startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { ROOT } from './support/process.js';

/**
 * deploy/aws/iam-policy.json is least privilege for what the code does: it
 * allows every DynamoDB command the gateway and its tools send (read from
 * their imports of the AWS SDK) on every table they name, and nothing more;
 * docs/deploy.md shows the same policy and the TTL and backup steps for the
 * same tables.
 */
interface Statement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
}
const policy = JSON.parse(readFileSync(join(ROOT, 'deploy', 'aws', 'iam-policy.json'), 'utf8')) as { Version: string; Statement: Statement[] };
const allowed = new Set(policy.Statement.flatMap((statement) => statement.Action));
const docs = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');

/** The IAM action of each command the DocumentClient (lib-dynamodb) sends; client-dynamodb's commands are named as their action. */
const DOCUMENT_COMMANDS: Readonly<Record<string, string>> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactGetCommand: 'TransactGetItems',
  TransactWriteCommand: 'TransactWriteItems',
};
/** Waiters the code uses, by the action they poll with. */
const WAITERS: Readonly<Record<string, string>> = { waitUntilTableExists: 'DescribeTable', waitUntilTableNotExists: 'DescribeTable' };
/** Actions the code may send that the gateway's role deliberately lacks, and why. */
const NOT_GRANTED: Readonly<Record<string, string>> = {
  'dynamodb:CreateTable': 'only for a missing table; an administrator creates the tables once (docs/deploy.md, step 2)',
  'dynamodb:UpdateTimeToLive': 'only for a table the gateway has just created; the template turns TTL on otherwise',
};

/** Production code: what the image compiles (src, connectors, resolvers and the operator tools). */
function productionFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
  const tools = ['scripts/keys.ts', 'scripts/identities-import.ts', 'scripts/segments-evaluate.ts', 'scripts/jobs.ts'].map((file) => join(ROOT, file));
  return [...['src', 'connectors', 'resolvers'].flatMap((dir) => walk(join(ROOT, dir))), ...tools].filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.includes('/__tests__/'),
  );
}

/** Every DynamoDB action the production code can send, with the files that import its command. */
function actionsSent(): Map<string, string[]> {
  const actions = new Map<string, string[]>();
  for (const file of productionFiles()) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-dynamodb|lib-dynamodb)'/g)) {
      // `QueryCommand as QueryItemsCommand` sends what QueryCommand sends.
      const names = match[1]!.split(',').map((name) => name.trim().split(/\s+as\s+/)[0]!).filter((name) => name !== '' && !name.startsWith('type '));
      for (const name of names) {
        const action = match[2] === 'lib-dynamodb' ? DOCUMENT_COMMANDS[name] : name.endsWith('Command') ? name.slice(0, -'Command'.length) : WAITERS[name];
        if (name.endsWith('Command') && action === undefined) throw new Error(`${relative(ROOT, file)}: ${name} has no IAM action in this test's table`);
        if (action === undefined) continue;
        const files = actions.get(`dynamodb:${action}`) ?? [];
        if (!files.includes(relative(ROOT, file))) actions.set(`dynamodb:${action}`, [...files, relative(ROOT, file)]);
      }
    }
  }
  return actions;
}

describe('deploy/aws/iam-policy.json', () => {
  const sent = actionsSent();

  it('finds the commands where the adapter sends them', () => {
    expect(sent.get('dynamodb:BatchGetItem')).toContain('connectors/singleview/dynamodb.ts');
    expect(sent.get('dynamodb:ListTables')).toEqual(['connectors/singleview/dynamodb.ts']);
    expect(sent.get('dynamodb:DescribeTable')).toEqual(['connectors/singleview/tables.ts']);
  });

  it('allows every DynamoDB action the code sends, but CreateTable, which an administrator runs once', () => {
    const missing = [...sent.keys()].filter((action) => !allowed.has(action) && !(action in NOT_GRANTED));
    expect(missing, 'actions the code sends that the policy does not allow').toEqual([]);
    for (const action of Object.keys(NOT_GRANTED)) expect(allowed.has(action), action).toBe(false);
  });

  it('allows nothing the code does not send', () => {
    expect([...allowed].filter((action) => !sent.has(action)).sort()).toEqual([]);
  });

  it('names exactly the single view\'s tables (and the suggestions index), each action on them and ListTables, which takes no table, on *', () => {
    const tables = Object.values(tableNames('c360_'));
    const expected = [...tables.map((table) => `table/${table}`), `table/c360_merge_suggestions/index/${SUGGESTIONS_BY_STATUS}`].sort();
    const [onTables, readiness] = policy.Statement;
    const resources = [onTables!.Resource].flat();
    expect(resources.map((arn) => /^arn:aws:dynamodb:[a-z0-9-]+:\d{12}:(.*)$/.exec(arn)?.[1]).sort()).toEqual(expected);
    expect(onTables!.Action).not.toContain('dynamodb:ListTables');
    expect(readiness).toEqual({ Sid: 'ReadinessCheck', Effect: 'Allow', Action: ['dynamodb:ListTables'], Resource: '*' });
    expect(policy.Statement).toHaveLength(2);
  });

  it('is the policy docs/deploy.md shows', () => {
    const blocks = [...docs.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => match[1]!);
    expect(blocks).toContain(readFileSync(join(ROOT, 'deploy', 'aws', 'iam-policy.json'), 'utf8'));
  });

  it('docs/deploy.md turns on backups for every table and TTL where the gateway writes an expiry', () => {
    const loop = /for table in ([a-z_ ]+); do/.exec(docs)?.[1]?.split(' ');
    expect(loop?.map((name) => `c360_${name}`).sort()).toEqual(Object.values(tableNames('c360_')).sort());
    const ttl = [...docs.matchAll(/update-time-to-live --table-name (\S+) \\\n\s*--time-to-live-specification Enabled=true,AttributeName=(\w+)/g)].map((m) => [m[1], m[2]]);
    expect(ttl).toEqual(
      tableDefinitions(tableNames('c360_'))
        .filter((definition) => definition.ttlAttribute)
        .map((definition) => [definition.create.TableName, definition.ttlAttribute]),
    );
  });
});

describe('the TTL attribute, as the gateway writes it', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw?.close());

  it('is expiresAt on each idempotency item, in epoch seconds, a week after the event was received', async () => {
    const response = await fetch(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'c360_demo_ingest' },
      body: JSON.stringify({ query: 'mutation { track(input: { identity: { type: ANONYMOUS_ID, value: "ttl-check" }, type: "Page Viewed", idempotencyKey: "ttl-1" }) { eventId } }' }),
    });
    expect(response.status).toBe(200);
    const store = gw.gateway.services.sources.singleView as unknown as { document: { send(command: ScanCommand): Promise<{ Items?: Array<Record<string, unknown>> }> }; tables: { idempotency: string } };
    const { Items = [] } = await store.document.send(new ScanCommand({ TableName: store.tables.idempotency }));
    expect(Items).toHaveLength(1);
    const expiresAt = Items[0]!.expiresAt as number;
    const expected = Date.now() / 1000 + IDEMPOTENCY_TTL_SECONDS;
    expect(Number.isInteger(expiresAt)).toBe(true);
    expect(Math.abs(expiresAt - expected)).toBeLessThan(120);
    expect(store.tables.idempotency.endsWith('idempotency')).toBe(true);
  });
});
