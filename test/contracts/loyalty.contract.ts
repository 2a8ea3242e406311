import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoyaltyAccountRecord, LoyaltyPort } from '../../connectors/loyalty/port.js';

export type LoyaltyFactory = (members: readonly LoyaltyAccountRecord[], malformedRef: string) => Promise<{ port: LoyaltyPort; cleanup(): Promise<void> }>;

const member = (n: number): LoyaltyAccountRecord => ({
  memberId: `LM-T${n}`,
  customerRef: `cus_t${n}`,
  tier: n === 1 ? 'Gold' : 'Silver',
  pointsBalance: 100 * n,
  lifetimePoints: 1000 * n,
  tierExpiresAt: n === 2 ? null : '2027-06-30T00:00:00.000Z',
});

export const LOYALTY_MEMBERS = [member(1), member(2), member(3)];
export const MALFORMED_REF = 'cus_malformed';

/** The loyalty port's contract; every adapter runs it. */
export function defineLoyaltyContract(adapter: string, factory: LoyaltyFactory): void {
  describe(`loyalty port contract: ${adapter}`, () => {
    let port: LoyaltyPort;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ port, cleanup } = await factory(LOYALTY_MEMBERS, MALFORMED_REF));
    });
    afterAll(() => cleanup?.());

    it('answers N refs with N results in order, null for non-members', async () => {
      expect(await port.getMany(['cus_t2', 'cus_none', 'cus_t1', 'cus_t2'])).toEqual([
        LOYALTY_MEMBERS[1],
        null,
        LOYALTY_MEMBERS[0],
        LOYALTY_MEMBERS[1],
      ]);
    });

    it('answers an empty batch with an empty list', async () => {
      expect(await port.getMany([])).toEqual([]);
    });

    it('fails only the member whose record is malformed', async () => {
      const [good, bad] = await port.getMany(['cus_t3', MALFORMED_REF]);
      expect(good).toEqual(LOYALTY_MEMBERS[2]);
      expect(bad).toBeInstanceOf(Error);
      expect((bad as Error).message).toMatch(/^loyalty source returned a malformed payload: /);
    });

    it('passes refs with reserved URL characters through intact', async () => {
      expect(await port.getMany(['a,b', 'x&ids=cus_t1', '../health'])).toEqual([null, null, null]);
    });

    it('reports health', async () => {
      await expect(port.health()).resolves.toBeUndefined();
    });

    it('erases members of the given refs; a second erase finds nothing', async () => {
      expect(await port.erase(['cus_t3', 'cus_nobody'])).toBe('erased');
      expect(await port.getMany(['cus_t3', 'cus_t1'])).toEqual([null, LOYALTY_MEMBERS[0]]);
      expect(await port.erase(['cus_t3'])).toBe('not_found');
    });
  });
}
