import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { eventSortKey } from '../../connectors/singleview/keys.js';
import { createSingleView } from '../../connectors/singleview/index.js';
import { MemorySingleView } from '../../connectors/singleview/memory.js';
import { SINGLE_VIEW_CALLS } from '../../connectors/singleview/port.js';
import { startEmbeddedDynamo } from '../../src/embedded/dynalite.js';
import type { EmbeddedDynamo } from '../../src/embedded/dynalite.js';
import { SINGLE_VIEW_ROLE_CONTRACTS, runRoleContract } from './singleview/index.js';
import type { SingleViewAdapter } from './singleview/index.js';

/**
 * Every role port of the single view has its own contract suite
 * (test/contracts/singleview/), and every adapter runs each one: DynamoDB on
 * dynalite (one dynalite for the file, a fresh table prefix per store) and
 * the in-memory adapter the benchmarks use.
 */
let dynamo: Promise<EmbeddedDynamo> | undefined;
afterAll(async () => {
  await (await dynamo)?.close();
});

const ADAPTERS: SingleViewAdapter[] = [
  {
    name: 'dynamodb (on dynalite)',
    async open(items) {
      const { endpoint } = await (dynamo ??= startEmbeddedDynamo(undefined));
      const store = await createSingleView({ endpoint, region: 'us-east-1', tablePrefix: `t${randomUUID().slice(0, 6)}_`, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      if (items) {
        await store.batchWrite(store.tables.customers, items.customers);
        await store.batchWrite(store.tables.identities, items.identities);
        await store.batchWrite(store.tables.events, items.events.map((e) => ({ ...e, sk: eventSortKey(e.occurredAt, e.id) })));
      }
      return { store, close: () => store.close() };
    },
  },
  {
    name: 'memory (benchmarks)',
    async open(items) {
      const store = new MemorySingleView(items);
      return { store, close: () => store.close() };
    },
  },
];

for (const adapter of ADAPTERS) for (const contract of SINGLE_VIEW_ROLE_CONTRACTS) runRoleContract(contract, adapter);

describe('single view role contracts', () => {
  it('give every method of the single view port to exactly one role suite', () => {
    const owners = SINGLE_VIEW_ROLE_CONTRACTS.flatMap((contract) => Object.keys(contract.methods).map((method) => [method, contract.role] as const));
    expect(owners.map(([method]) => method).sort()).toEqual(Object.keys(SINGLE_VIEW_CALLS).sort());
  });
});
