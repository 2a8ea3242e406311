import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoyaltyAccountRecord, LoyaltyPort } from '../../connectors/loyalty/port.js';

export type LoyaltyFactory = (members: readonly LoyaltyAccountRecord[], malformedId: string) => Promise<{ port: LoyaltyPort; cleanup(): Promise<void> }>;

/** Members as a loyalty system holds them: by its own member id, with no c360 id anywhere. */
const member = (n: number): LoyaltyAccountRecord => ({
  memberId: `LM-T${n}`,
  tier: n === 1 ? 'Gold' : 'Silver',
  pointsBalance: 100 * n,
  lifetimePoints: 1000 * n,
  tierExpiresAt: n === 2 ? null : '2027-06-30T00:00:00.000Z',
});

export const LOYALTY_MEMBERS = [member(1), member(2), member(3)];
export const MALFORMED_MEMBER_ID = 'LM-BAD';

/** The loyalty port's contract; every adapter runs it. */
export function defineLoyaltyContract(adapter: string, factory: LoyaltyFactory): void {
  describe(`loyalty port contract: ${adapter}`, () => {
    let port: LoyaltyPort;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ port, cleanup } = await factory(LOYALTY_MEMBERS, MALFORMED_MEMBER_ID));
    });
    afterAll(() => cleanup?.());

    it('answers N member ids with N results in order, null for ids that are no member', async () => {
      expect(await port.getMany(['LM-T2', 'LM-NONE', 'LM-T1', 'LM-T2'])).toEqual([
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
      const [good, bad] = await port.getMany(['LM-T3', MALFORMED_MEMBER_ID]);
      expect(good).toEqual(LOYALTY_MEMBERS[2]);
      expect(bad).toBeInstanceOf(Error);
      expect((bad as Error).message).toMatch(/^loyalty source returned a malformed payload: /);
    });

    it('passes member ids with reserved URL characters through intact', async () => {
      expect(await port.getMany(['a,b', 'x&ids=LM-T1', '../health'])).toEqual([null, null, null]);
    });

    it('reports health', async () => {
      await expect(port.health()).resolves.toBeUndefined();
    });

    it('erases the given members; a second erase finds nothing', async () => {
      expect(await port.erase(['LM-T3', 'LM-NOBODY'])).toBe('erased');
      expect(await port.getMany(['LM-T3', 'LM-T1'])).toEqual([null, LOYALTY_MEMBERS[0]]);
      expect(await port.erase(['LM-T3'])).toBe('not_found');
    });
  });
}
