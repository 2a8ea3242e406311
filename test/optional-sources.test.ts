import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { SourceStartError } from '../src/sourceStart.js';
import { demoCustomer, testDemoData } from './support/demo.js';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { LoyaltyTestServer } from './support/loyaltyServer.js';
import { byPath } from './support/privacy.js';
import { spawnGateway } from './support/process.js';

/** A loopback port nobody listens on: connections to it are refused. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const PASSWORD = 'crm-db-password-5e1f';
const mongoUrl = (port: number) => `mongodb://c360-reader:${PASSWORD}@127.0.0.1:${port}/?serverSelectionTimeoutMS=300`;
const ID = DEMO_CUSTOMERS.consent.id;
const QUERY = 'query($id: ID!) { customer(id: $id) { id profile { firstName } crm { crmId } loyalty { tier } } }';

describe('optional sources that are down at start', () => {
  let gw: TestGateway;
  let loyaltyPort: number;
  let loyalty: LoyaltyTestServer | undefined;
  beforeAll(async () => {
    loyaltyPort = await deadPort();
    gw = await startTestGateway({ C360_MONGODB_URL: mongoUrl(await deadPort()), C360_LOYALTY_URL: `http://127.0.0.1:${loyaltyPort}` });
  });
  afterAll(async () => {
    await gw?.close();
    await loyalty?.stop();
  });

  it('let the gateway start, and say so in the log, naming the source and its variable but never its value', () => {
    const warnings = gw.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => String(line.msg).startsWith('an optional source is down at start'));
    expect(warnings.map(({ source, variable, level }) => ({ source, variable, level }))).toEqual([
      { source: 'crm', variable: 'C360_MONGODB_URL', level: 'warn' },
      { source: 'loyalty', variable: 'C360_LOYALTY_URL', level: 'warn' },
    ]);
    expect(gw.logs.join('\n')).not.toContain(PASSWORD);
  });

  it('show as down in /readyz while the gateway stays ready', async () => {
    // To anyone: ready, and which sources are down.
    const short = await fetch(`${gw.url}/readyz`);
    expect({ status: short.status, body: (await short.json()) as unknown }).toEqual({ status: 200, body: { status: 'ready', down: ['crm', 'loyalty'] } });
    // The detail, to a principal holding health:read.
    const response = await fetch(`${gw.url}/readyz`, { headers: { 'x-api-key': 'c360_demo_admin' } });
    const body = (await response.json()) as { status: string; sources: Record<string, { status: string; required: boolean; error?: string }> };
    expect({ status: response.status, ready: body.status }).toEqual({ status: 200, ready: 'ready' });
    expect(Object.fromEntries(Object.entries(body.sources).map(([name, source]) => [name, [source.status, source.required]]))).toEqual({
      singleview: ['up', true],
      crm: ['down', false],
      loyalty: ['down', false],
      resolution: ['up', true],
    });
    expect(JSON.stringify(body)).not.toContain(PASSWORD);
  });

  it('answer their fields with SOURCE_UNAVAILABLE and everything else as usual', async () => {
    const response = await graphql(gw.url, QUERY, { variables: { id: ID }, purpose: 'support' });
    const error = (source: string, column: number) => ({
      message: expect.stringMatching(new RegExp(`^${source} source is unavailable: `)),
      locations: [{ line: 1, column }],
      path: ['customer', source],
      extensions: { code: 'SOURCE_UNAVAILABLE', source },
    });
    // The two failures arrive in either order.
    expect(withoutTraceId({ ...response.body, errors: byPath(response.body.errors) })).toEqual({
      data: { customer: { id: ID, profile: { firstName: demoCustomer(ID).customer.profile.firstName }, crm: null, loyalty: null } },
      errors: [error('crm', 64), error('loyalty', 78)],
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
    expect(JSON.stringify(response.body)).not.toContain(PASSWORD);
  });

  it('are used once they are back, without a restart', async () => {
    loyalty = new LoyaltyTestServer(testDemoData().loyalty);
    await loyalty.start(loyaltyPort);
    await expect.poll(async () => ((await (await fetch(`${gw.url}/readyz`)).json()) as { down: string[] }).down).toEqual(['crm']);
    const response = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { id loyalty { tier } } }', { variables: { id: ID }, purpose: 'support' });
    expect(withoutTraceId(response.body)).toEqual({
      data: { customer: { id: ID, loyalty: { tier: demoCustomer(ID).loyalty!.tier } } },
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
  });
});

describe('a required source that is down at start', () => {
  it('stops the start, naming the source and its variable but never the URL or its credentials', async () => {
    const port = await deadPort();
    const started = startTestGateway({ C360_MONGODB_URL: mongoUrl(port), C360_REQUIRED_SOURCES: 'singleview,resolution,crm' });
    await expect(started).rejects.toBeInstanceOf(SourceStartError);
    const message = await started.catch((error: Error) => error.message);
    expect(message).toMatch(/^The crm source is required \(C360_REQUIRED_SOURCES\) but did not answer at start \(.+\); check that it runs and that C360_MONGODB_URL points at it, or remove crm from C360_REQUIRED_SOURCES to start without it\.$/);
    expect(message).not.toContain(PASSWORD);
    expect(message).not.toContain(String(port));
  });

  it('stops the start on a connection string the driver cannot parse, naming the variable but never the string', async () => {
    const started = startTestGateway({ C360_MONGODB_URL: `mongodb://c360-reader:${PASSWORD}@127.0.0.1:not-a-port` });
    await expect(started).rejects.toBeInstanceOf(SourceStartError);
    const message = await started.catch((error: Error) => error.message);
    expect(message).toBe('The crm source could not be opened (MongoRuntimeError); check C360_MONGODB_URL and docs/configuration.md.');
  });

  it('makes `npm start` exit 69 with that message', async () => {
    const port = await deadPort();
    const gateway = spawnGateway({ C360_DATA_DIR: 'memory', C360_PORT: '0', C360_DEMO_CUSTOMERS: '10', C360_LOYALTY_URL: `http://loyalty-user:${PASSWORD}@127.0.0.1:${port}`, C360_REQUIRED_SOURCES: 'singleview,loyalty' });
    const code = await gateway.exited;
    const stderr = gateway.stderr.join('');
    expect({ code, stderr }).toEqual({
      code: 69,
      stderr: expect.stringMatching(/^The loyalty source is required \(C360_REQUIRED_SOURCES\) but did not answer at start \(.+\); check that it runs and that C360_LOYALTY_URL points at it/),
    });
    expect(stderr).not.toContain(PASSWORD);
    expect(gateway.stdout.join('\n')).not.toContain(PASSWORD);
  });
});
