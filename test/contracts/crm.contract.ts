import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrmContactRecord, CrmPort } from '../../connectors/crm/port.js';

export interface CrmFixture {
  readonly contacts: readonly CrmContactRecord[];
  /** Stored as-is, off the schema, under this customer ref. */
  readonly malformedRef: string;
}

export type CrmFactory = (fixture: CrmFixture) => Promise<{ port: CrmPort; cleanup(): Promise<void> }>;

const contact = (n: number): CrmContactRecord => ({
  crmId: `CRM-T${n}`,
  customerRef: `cus_t${n}`,
  accountManager: `Manager ${n}`,
  firstName: null,
  lastName: null,
  email: null,
  phone: null,
  cases: [{ id: `case-${n}`, subject: 'Late delivery', status: 'open', openedAt: '2026-10-01T00:00:00.000Z' }],
});

export const CRM_FIXTURE: CrmFixture = {
  contacts: [contact(1), contact(2), contact(3)],
  malformedRef: 'cus_malformed',
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

    it('answers N refs with N results in order, null where there is no contact', async () => {
      const results = await port.getMany(['cus_t3', 'cus_none', 'cus_t1', 'cus_t3']);
      expect(results).toEqual([
        CRM_FIXTURE.contacts[2],
        null,
        CRM_FIXTURE.contacts[0],
        CRM_FIXTURE.contacts[2],
      ]);
    });

    it('answers an empty batch with an empty list', async () => {
      expect(await port.getMany([])).toEqual([]);
    });

    it('fails only the key whose record is malformed', async () => {
      const [good, bad] = await port.getMany(['cus_t2', CRM_FIXTURE.malformedRef]);
      expect(good).toEqual(CRM_FIXTURE.contacts[1]);
      expect(bad).toBeInstanceOf(Error);
      expect((bad as Error).message).toMatch(/^crm source returned a malformed payload: /);
    });

    it('treats refs that look like query operators as plain values', async () => {
      expect(await port.getMany(['{"$ne":null}', '$where', '{"$gt":""}'])).toEqual([null, null, null]);
    });

    it('reports health', async () => {
      await expect(port.health()).resolves.toBeUndefined();
    });

    it('erases the contacts of the given refs with their cases; a second erase finds nothing', async () => {
      expect(await port.erase(['cus_t3', 'cus_nobody'])).toBe('erased');
      expect(await port.getMany(['cus_t3', 'cus_t1'])).toEqual([null, CRM_FIXTURE.contacts[0]]);
      expect(await port.erase(['cus_t3'])).toBe('not_found');
    });
  });
}
