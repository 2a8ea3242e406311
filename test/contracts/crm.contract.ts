import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrmContactRecord, CrmPort } from '../../connectors/crm/port.js';

export interface CrmFixture {
  readonly contacts: readonly CrmContactRecord[];
  /** Stored off the schema under this CRM id. */
  readonly malformedId: string;
}

export type CrmFactory = (fixture: CrmFixture) => Promise<{ port: CrmPort; cleanup(): Promise<void> }>;

/** Contacts as a CRM holds them: by its own contact id, with no c360 id anywhere. */
const contact = (n: number): CrmContactRecord => ({
  crmId: `CRM-T${n}`,
  accountManager: `Manager ${n}`,
  firstName: n === 1 ? 'Ada' : null,
  lastName: n === 1 ? 'Lovelace' : null,
  email: n === 1 ? 'ada@example.com' : null,
  phone: null,
  cases: [
    { id: `case-${n}-a`, subject: 'Late delivery', status: 'open', closed: false, openedAt: '2026-10-01T00:00:00.000Z' },
    { id: `case-${n}-b`, subject: 'Refund', status: 'Resolved', closed: true, openedAt: '2026-10-02T00:00:00.000Z' },
  ],
});

export const CRM_FIXTURE: CrmFixture = {
  contacts: [contact(1), contact(2), contact(3)],
  malformedId: 'CRM-BAD',
};

/** The CRM port's contract; every adapter runs it (DataLoader's batch contract plus injection safety). */
export function defineCrmContract(adapter: string, factory: CrmFactory): void {
  describe(`CRM port contract: ${adapter}`, () => {
    let port: CrmPort;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ port, cleanup } = await factory(CRM_FIXTURE));
    });
    afterAll(() => cleanup?.());

    it('answers N CRM ids with N results in order, null where there is no contact', async () => {
      const results = await port.getMany(['CRM-T3', 'CRM-NONE', 'CRM-T1', 'CRM-T3']);
      expect(results).toEqual([CRM_FIXTURE.contacts[2], null, CRM_FIXTURE.contacts[0], CRM_FIXTURE.contacts[2]]);
    });

    it('answers an empty batch with an empty list', async () => {
      expect(await port.getMany([])).toEqual([]);
    });

    it('fails only the key whose record is malformed', async () => {
      const [good, bad] = await port.getMany(['CRM-T2', CRM_FIXTURE.malformedId]);
      expect(good).toEqual(CRM_FIXTURE.contacts[1]);
      expect(bad).toBeInstanceOf(Error);
      expect((bad as Error).message).toMatch(/^crm source returned a malformed payload: /);
    });

    it('treats ids that look like query operators as plain values', async () => {
      expect(await port.getMany(['{"$ne":null}', '$where', '{"$gt":""}'])).toEqual([null, null, null]);
    });

    it('reports health', async () => {
      await expect(port.health()).resolves.toBeUndefined();
    });

    it('erases the given contacts with their cases; a second erase finds nothing', async () => {
      expect(await port.erase(['CRM-T3', 'CRM-NOBODY'])).toBe('erased');
      expect(await port.getMany(['CRM-T3', 'CRM-T1'])).toEqual([null, CRM_FIXTURE.contacts[0]]);
      expect(await port.erase(['CRM-T3'])).toBe('not_found');
    });
  });
}
