import { expect, it } from 'vitest';
import type { CustomerWritePort } from '../../../connectors/singleview/port.js';
import { customerAt } from './fixture.js';
import { roleContract } from './harness.js';

export const customerWriteContract = roleContract<CustomerWritePort>({
  role: 'CustomerWritePort',
  methods: { createCustomer: true, replaceCustomer: true, deleteCustomers: true },
  tests: (view) => {
    it('creates a customer once, and replaces it only at the version read', async () => {
      const { store } = view;
      expect(await store.createCustomer(customerAt('w1', 1))).toBe('written');
      expect(await store.createCustomer(customerAt('w1', 1))).toBe('conflict');
      expect(await store.replaceCustomer(customerAt('w1', 2), 1)).toBe('written');
      expect(await store.replaceCustomer(customerAt('w1', 2), 1)).toBe('conflict');
      expect((await store.getCustomers(['w1'], { consistent: true }))[0]).toMatchObject({ id: 'w1', version: 2 });
    });

    it('never brings back a deleted customer, whatever version the writer read', async () => {
      const { store } = view;
      await store.createCustomer(customerAt('w2', 1));
      expect(await store.deleteCustomers(['w2', 'nobody'])).toBe(1);
      expect(await store.replaceCustomer(customerAt('w2', 2), 1)).toBe('conflict');
      expect(await store.replaceCustomer(customerAt('w2', 1), 0)).toBe('conflict');
      expect(await store.getCustomers(['w2'])).toEqual([null]);
    });
  },
});
