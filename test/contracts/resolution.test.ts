import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsEntityResolution } from '../../connectors/resolution/awsEntityResolution.js';
import { EmbeddedResolution } from '../../connectors/resolution/embedded.js';
import { HttpResolution } from '../../connectors/resolution/http.js';
import type { ResolutionPort } from '../../connectors/resolution/port.js';
import { SourceError } from '../../connectors/resilience/sourceError.js';
import type { DynamoSingleView } from '../../connectors/singleview/dynamodb.js';
import { createSingleView } from '../../connectors/singleview/index.js';
import type { CustomerRecord, IdentityKey } from '../../src/domain/index.js';
import { startEmbeddedDynamo } from '../../src/embedded/dynalite.js';
import type { EmbeddedDynamo } from '../../src/embedded/dynalite.js';
import { EntityResolutionTestServer, ResolutionTestServer } from '../support/resolutionServers.js';
import { customerRecord } from '../support/records.js';

/**
 * The resolution port's contract, run by every adapter over the same graph:
 * C1 holds a@example.com and anon r-1; C2 (anon r-2) was merged into C1; C3
 * holds b@example.com.
 */
const A: IdentityKey = { type: 'EMAIL', value: 'a@example.com' };
const B: IdentityKey = { type: 'EMAIL', value: 'b@example.com' };
const R1: IdentityKey = { type: 'ANONYMOUS_ID', value: 'r-1' };
const R2: IdentityKey = { type: 'ANONYMOUS_ID', value: 'r-2' };
const UNKNOWN: IdentityKey = { type: 'EMAIL', value: 'nobody@example.com' };

interface Fixture {
  readonly port: ResolutionPort;
  close(): Promise<void>;
}

let dynamo: EmbeddedDynamo;
let prefixes = 0;
beforeAll(async () => {
  dynamo = await startEmbeddedDynamo(undefined);
});
afterAll(() => dynamo?.close());

async function singleViewWithGraph(): Promise<DynamoSingleView> {
  const store = await createSingleView({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    tablePrefix: `contract${prefixes++}_`,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const customer = (id: string, keys: IdentityKey[], extra: Partial<CustomerRecord> = {}): CustomerRecord =>
    customerRecord(id, {
      identities: keys.map((key) => ({ ...key, source: 'test', firstSeenAt: '2026-11-01T00:00:00.000Z', lastSeenAt: '2026-11-01T00:00:00.000Z' })),
      version: 1,
      ...extra,
    });
  await store.createCustomer(customer('C1', [A, R1, R2], { aliases: ['C2'] }));
  await store.createCustomer(customer('C2', [R2], { mergedInto: 'C1', mergeState: 'done' }));
  await store.createCustomer(customer('C3', [B]));
  for (const [key, id] of [[A, 'C1'], [R1, 'C1'], [R2, 'C2'], [B, 'C3']] as const) await store.claimIdentity(key, id);
  return store;
}

const adapters: Array<[string, () => Promise<Fixture>]> = [
  [
    'embedded',
    async () => {
      const store = await singleViewWithGraph();
      return { port: new EmbeddedResolution(store), close: () => store.close() };
    },
  ],
  [
    'http',
    async () => {
      const server = new ResolutionTestServer();
      for (const id of ['C1', 'C3']) server.customers.add(id);
      server.merges.set('C2', 'C1');
      for (const [key, id] of [[A, 'C1'], [R1, 'C1'], [R2, 'C2'], [B, 'C3']] as const) server.links.set(`${key.type}#${key.value}`, id);
      const port = new HttpResolution({ url: await server.start() });
      return { port, close: async () => (await port.close(), await server.stop()) };
    },
  ],
  [
    'aws-entity-resolution',
    async () => {
      const store = await singleViewWithGraph();
      const server = new EntityResolutionTestServer('c360-contract');
      const port = awsPort(store, await server.start(), server.workflowName);
      return { port, close: async () => (await port.close(), await server.stop(), await store.close()) };
    },
  ],
];

function awsPort(singleView: DynamoSingleView, endpoint: string, workflowName: string): AwsEntityResolution {
  return new AwsEntityResolution({
    workflowName,
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    fields: { EMAIL: 'email', PHONE: 'phone' },
    applyNormalization: true,
    singleView,
  });
}

describe.each(adapters)('resolution port contract: %s', (_name, open) => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await open();
  });
  afterAll(() => fixture?.close());

  it('resolves identifiers to canonical ids in order, following merges, null for unknown ones', async () => {
    expect(await fixture.port.resolve([A, R2, UNKNOWN, R1])).toEqual(['C1', 'C1', null, 'C1']);
  });

  it('answers canonical ids in order: itself, its survivor, or null', async () => {
    expect(await fixture.port.canonicalIds(['C2', 'C1', 'C3', 'nobody'])).toEqual(['C1', 'C1', 'C3', null]);
    expect(await fixture.port.resolve([])).toEqual([]);
  });

  it('erases the links of a customer: its identifiers resolve no more; a second erase finds nothing', async () => {
    expect(await fixture.port.erase(['C3'])).toBe('erased');
    expect(await fixture.port.resolve([B, A])).toEqual([null, 'C1']);
    expect(await fixture.port.erase(['C3'])).toBe('not_found');
  });

  it('reports health', async () => {
    await expect(fixture.port.health()).resolves.toBeUndefined();
  });
});

describe('AWS Entity Resolution adapter', () => {
  let store: DynamoSingleView;
  let server: EntityResolutionTestServer;
  let port: AwsEntityResolution;
  let erEndpoint: string;
  beforeAll(async () => {
    store = await singleViewWithGraph();
    server = new EntityResolutionTestServer('c360-er');
    // The workflow matched a@example.com, its variant and a phone into one group.
    server.group('match-1', [{ email: 'a@example.com' }, { email: 'a.alias@example.com' }, { phone: '+12125550100' }]);
    erEndpoint = await server.start();
    port = awsPort(store, erEndpoint, server.workflowName);
  });
  afterAll(async () => {
    await port?.close();
    await server?.stop();
    await store?.close();
  });

  it('speaks GetMatchId: one POST per identifier of a mapped type, signed, with the field the workflow expects', async () => {
    server.requests.length = 0;
    await port.resolve([A, R1]);
    expect(server.requests).toEqual([
      {
        method: 'POST',
        path: '/matchingworkflows/c360-er/matches',
        authorization: expect.stringMatching(/^AWS4-HMAC-SHA256 Credential=test\//),
        body: { record: { email: 'a@example.com' }, applyNormalization: true },
      },
    ]);
  });

  it('maps a match group to the customer the graph knows for one of its identifiers, so other members resolve to it', async () => {
    const alias: IdentityKey = { type: 'EMAIL', value: 'a.alias@example.com' };
    const phone: IdentityKey = { type: 'PHONE', value: '+12125550100' };
    // a@example.com was resolved above: the group is linked to C1 now.
    expect(await port.resolve([alias, phone, UNKNOWN])).toEqual(['C1', 'C1', null]);
    expect(await store.customerIdsByMatch(['c360-er/match-1'])).toEqual(['C1']);
  });

  it('leaves a group unlinked until an identifier the graph knows is seen in it', async () => {
    server.group('match-2', [{ email: 'stranger@example.com' }, { email: 'stranger.alias@example.com' }]);
    expect(await port.resolve([{ type: 'EMAIL', value: 'stranger.alias@example.com' }])).toEqual([null]);
  });

  it('treats a record the workflow rejects as unmatched, and a service failure as a source failure', async () => {
    expect(await port.resolve([{ type: 'EMAIL', value: 'x@@example.com' }])).toEqual([null]);
    server.mode = { kind: 'error', status: 500, type: 'InternalServerException' };
    const failure = await port.resolve([{ type: 'EMAIL', value: 'z@example.com' }]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SourceError);
    expect(failure).toMatchObject({ source: 'resolution', failure: 'unavailable', message: 'resolution source is unavailable: Entity Resolution InternalServerException' });
    server.mode = { kind: 'ok' };
  });

  it('fails health when the workflow does not exist', async () => {
    const wrong = awsPort(store, erEndpoint, 'missing');
    await expect(wrong.health()).rejects.toMatchObject({
      source: 'resolution',
      failure: 'rejected',
      message: 'resolution source rejected the request: Entity Resolution ResourceNotFoundException',
    });
    await wrong.close();
  });

  it('erases the match links with the identity links', async () => {
    expect(await port.erase(['C1', 'C2'])).toBe('erased');
    expect(await port.resolve([{ type: 'EMAIL', value: 'a.alias@example.com' }, A])).toEqual([null, null]);
    expect(await store.customerIdsByMatch(['c360-er/match-1'])).toEqual([null]);
  });
});
