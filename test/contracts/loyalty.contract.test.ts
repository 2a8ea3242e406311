import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedLoyalty } from '../../connectors/loyalty/embedded.js';
import { HttpLoyalty } from '../../connectors/loyalty/http.js';
import type { LoyaltyAccountRecord, LoyaltyPort } from '../../connectors/loyalty/port.js';
import { LoyaltyTestServer } from '../support/loyaltyServer.js';

const member = (n: number): LoyaltyAccountRecord => ({
  memberId: `LM${n}`,
  customerRef: `cus_l${n}`,
  tier: 'Gold',
  pointsBalance: 100 * n,
  lifetimePoints: 1000 * n,
  tierExpiresAt: '2027-01-01T00:00:00.000Z',
});
const MEMBERS = [member(1), member(2), member(3)];

interface Fixture {
  readonly port: LoyaltyPort;
  close(): Promise<void>;
}

const adapters: Array<[string, () => Promise<Fixture>]> = [
  ['embedded', async () => {
    const port = await EmbeddedLoyalty.open(undefined, MEMBERS);
    return { port, close: () => port.close() };
  }],
  ['http', async () => {
    const server = new LoyaltyTestServer(MEMBERS);
    const port = new HttpLoyalty({ url: await server.start() });
    return { port, close: async () => (await port.close(), await server.stop()) };
  }],
];

/** The loyalty port's contract, run by every adapter. */
describe.each(adapters)('loyalty port contract: %s', (_name, open) => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await open();
  });
  afterAll(() => fixture?.close());

  it('answers members in the order asked, null for non-members', async () => {
    expect(await fixture.port.getMany(['cus_l2', 'cus_nobody', 'cus_l1'])).toEqual([member(2), null, member(1)]);
  });

  it('erases members of the given refs; a second erase finds nothing', async () => {
    expect(await fixture.port.erase(['cus_l3', 'cus_nobody'])).toBe('erased');
    expect(await fixture.port.getMany(['cus_l3', 'cus_l1'])).toEqual([null, member(1)]);
    expect(await fixture.port.erase(['cus_l3'])).toBe('not_found');
  });
});

describe('HTTP loyalty erase', () => {
  it('sends DELETE /members/{customerRef} and turns a 5xx into a source failure', async () => {
    const server = new LoyaltyTestServer(MEMBERS);
    const port = new HttpLoyalty({ url: await server.start() });
    try {
      server.mode = { kind: 'status', status: 503 };
      await expect(port.erase(['cus_l1'])).rejects.toMatchObject({ source: 'loyalty', failure: 'unavailable', message: 'loyalty source is unavailable: erase HTTP 503' });
      server.mode = { kind: 'ok' };
      expect(await port.erase(['cus_l1'])).toBe('erased');
      expect(server.deletes).toEqual(['cus_l1', 'cus_l1']);
    } finally {
      await port.close();
      await server.stop();
    }
  });
});
