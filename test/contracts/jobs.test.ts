import { MemorySingleView } from '../../connectors/singleview/memory.js';
import { startSingleView } from '../support/dynalite.js';
import { defineJobPortContract } from './jobs.contract.js';

defineJobPortContract('dynamodb (on dynalite)', async () => {
  const { store, close } = await startSingleView();
  return { store, cleanup: close };
});

defineJobPortContract('memory (benchmarks)', async () => {
  const store = new MemorySingleView();
  return { store, cleanup: () => store.close() };
});
