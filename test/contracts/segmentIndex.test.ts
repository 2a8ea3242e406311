import { MemorySingleView } from '../../connectors/singleview/memory.js';
import { startSingleView } from '../support/dynalite.js';
import { defineSegmentIndexContract } from './segmentIndex.contract.js';

defineSegmentIndexContract('dynamodb (on dynalite)', async () => {
  const { store, close } = await startSingleView();
  return { store, cleanup: close };
});

defineSegmentIndexContract('memory (benchmarks)', async () => {
  const store = new MemorySingleView();
  return { store, cleanup: () => store.close() };
});
