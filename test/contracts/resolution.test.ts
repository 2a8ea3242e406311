import { EmbeddedResolution } from '../../connectors/resolution/embedded.js';
import { HttpResolution } from '../../connectors/resolution/http.js';
import { identityIndexKey } from '../../connectors/singleview/dynamodb.js';
import { startSingleView } from '../support/dynalite.js';
import { ResolutionTestServer } from '../support/resolutionServer.js';
import { defineResolutionContract } from './resolution.contract.js';

defineResolutionContract('embedded engine over the single view (dynalite)', async (world) => {
  const { store, close } = await startSingleView();
  const merged = new Map(world.mergedInto);
  const now = '2026-11-01T00:00:00.000Z';
  await store.batchWrite(
    store.tables.customers,
    world.customers.map((id) => ({ id, createdAt: now, updatedAt: now, mergedInto: merged.get(id) })),
  );
  await store.batchWrite(
    store.tables.identities,
    world.identities.map(([key, customerId]) => ({ key: identityIndexKey(key), customerId, type: key.type, value: key.value })),
  );
  return { port: new EmbeddedResolution(store), cleanup: close };
});

defineResolutionContract('http (loopback service speaking docs/resolution-api.md)', async (world) => {
  const server = new ResolutionTestServer(
    new Map(world.identities.map(([key, id]) => [identityIndexKey(key), id])),
    new Map(world.mergedInto),
    new Set(world.customers),
  );
  const port = new HttpResolution({ url: await server.start() });
  return {
    port,
    cleanup: async () => {
      await port.close();
      await server.stop();
    },
  };
});
