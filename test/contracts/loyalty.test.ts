import { describe, expect, it } from 'vitest';
import { EmbeddedLoyalty } from '../../connectors/loyalty/embedded.js';
import { HttpLoyalty } from '../../connectors/loyalty/http.js';
import type { LoyaltyAccountRecord } from '../../connectors/loyalty/port.js';
import { LoyaltyTestServer } from '../support/loyaltyServer.js';
import { LOYALTY_MEMBERS, defineLoyaltyContract } from './loyalty.contract.js';

const malformed = (memberId: string) => ({ memberId, tier: 'Gold', pointsBalance: 'many', lifetimePoints: 1 }) as unknown as LoyaltyAccountRecord;

defineLoyaltyContract('embedded', async (members, malformedId) => {
  const port = await EmbeddedLoyalty.open(undefined, [...members, malformed(malformedId)]);
  return { port, cleanup: () => port.close() };
});

defineLoyaltyContract('http (loopback service speaking docs/loyalty-api.md)', async (members, malformedId) => {
  const server = new LoyaltyTestServer([...members, malformed(malformedId)]);
  const port = new HttpLoyalty({ url: await server.start() });
  return {
    port,
    cleanup: async () => {
      await port.close();
      await server.stop();
    },
  };
});

describe('HTTP loyalty erase', () => {
  it('sends DELETE /members/{memberId} and turns a 5xx into a source failure', async () => {
    const server = new LoyaltyTestServer(LOYALTY_MEMBERS);
    const port = new HttpLoyalty({ url: await server.start() });
    try {
      server.mode = { kind: 'status', status: 503 };
      await expect(port.erase(['LM-T1'])).rejects.toMatchObject({ source: 'loyalty', failure: 'unavailable', message: 'loyalty source is unavailable: erase HTTP 503' });
      server.mode = { kind: 'ok' };
      expect(await port.erase(['LM-T1'])).toBe('erased');
      expect(server.deletes).toEqual(['LM-T1', 'LM-T1']);
    } finally {
      await port.close();
      await server.stop();
    }
  });
});
