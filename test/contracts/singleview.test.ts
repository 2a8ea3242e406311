import { eventSortKey } from '../../connectors/singleview/keys.js';
import { MemorySingleView } from '../../connectors/singleview/memory.js';
import { startSingleView } from '../support/dynalite.js';
import { defineSingleViewContract } from './singleview.contract.js';

defineSingleViewContract('dynamodb (on dynalite)', async (fixture) => {
  const { store, close } = await startSingleView();
  await store.batchWrite(store.tables.customers, fixture.customers);
  await store.batchWrite(store.tables.identities, fixture.identities);
  await store.batchWrite(store.tables.events, fixture.events.map((e) => ({ ...e, sk: eventSortKey(e.occurredAt, e.id) })));
  return { store, cleanup: close };
});

defineSingleViewContract('memory (benchmarks)', async (fixture) => {
  const store = new MemorySingleView(fixture);
  return { store, cleanup: () => store.close() };
});
