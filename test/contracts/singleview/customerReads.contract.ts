import { expect, it } from 'vitest';
import type { CustomerReadPort } from '../../../connectors/singleview/port.js';
import { CUSTOMERS, READ_FIXTURE, customerAt } from './fixture.js';
import { roleContract } from './harness.js';

export const customerReadContract = roleContract<CustomerReadPort>({
  role: 'CustomerReadPort',
  methods: { getCustomers: true, getMergeLinks: true, scanCustomers: true },
  items: READ_FIXTURE,
  tests: (view) => {
    it('reads N customers in order, across BatchGetItem chunks of 100, null when missing, Error when malformed', async () => {
      const ids = [...CUSTOMERS.map((c) => c.id).reverse(), 'cus_missing', 'cus_bad', 'cus_7'];
      const results = await view.store.getCustomers(ids);
      // The stored item's version (for conditional writes) comes back with it.
      expect(results.slice(0, 130)).toEqual([...CUSTOMERS].reverse().map((c) => ({ ...c, version: 1, lastEventAt: {} })));
      expect(results[130]).toBeNull();
      expect(results[131]).toBeInstanceOf(Error);
      expect(results[132]).toEqual({ ...CUSTOMERS[6], version: 1, lastEventAt: {} });
    });

    it('reads merge links as a projection', async () => {
      expect(await view.store.getMergeLinks(['cus_2', 'cus_missing'])).toEqual([{ id: 'cus_2', mergedInto: null }, null]);
    });

    it('scans every customer a page at a time', async () => {
      const store = await view.open({ customers: ['s1', 's2', 's3'].map((id) => ({ ...customerAt(id, 1), version: 1 })), identities: [], events: [] });
      const pages: string[][] = [];
      let after: string | undefined;
      do {
        const page = await store.scanCustomers(2, after);
        pages.push(page.customers.map((c) => c.id));
        after = page.next;
      } while (after);
      expect(pages.flat().sort()).toEqual(['s1', 's2', 's3']);
      expect(pages[0]).toHaveLength(2);
    });
  },
});
