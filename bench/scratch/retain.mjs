import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
process.on('SIGUSR2', async () => {
  await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: process.env.MAJOR === '1' || process.env.ALL === '1', includeObjectsCollectedByMinorGC: process.env.ALL === '1' });
  process.stderr.write('sampling started\n');
});
process.on('SIGTERM', async () => {
  globalThis.gc(); globalThis.gc();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  writeFileSync(process.env.ALLOC_OUT, JSON.stringify(profile));
  process.exit(0);
});
