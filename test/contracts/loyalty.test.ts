import { EmbeddedLoyalty } from '../../connectors/loyalty/embedded.js';
import { HttpLoyalty } from '../../connectors/loyalty/http.js';
import type { LoyaltyAccountRecord } from '../../connectors/loyalty/port.js';
import { LoyaltyTestServer } from '../support/loyaltyServer.js';
import { defineLoyaltyContract } from './loyalty.contract.js';

const malformed = (ref: string) => ({ memberId: 'LM-BAD', customerRef: ref, tier: 'Gold', pointsBalance: 'many', lifetimePoints: 1 }) as unknown as LoyaltyAccountRecord;

defineLoyaltyContract('embedded', async (members, malformedRef) => {
  const port = await EmbeddedLoyalty.open(undefined, [...members, malformed(malformedRef)]);
  return { port, cleanup: () => port.close() };
});

defineLoyaltyContract('http (loopback service speaking docs/loyalty-api.md)', async (members, malformedRef) => {
  const server = new LoyaltyTestServer([...members, malformed(malformedRef)]);
  const port = new HttpLoyalty({ url: await server.start() });
  return {
    port,
    cleanup: async () => {
      await port.close();
      await server.stop();
    },
  };
});
