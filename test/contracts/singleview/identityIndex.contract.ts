import { expect, it } from 'vitest';
import type { IdentityIndexPort } from '../../../connectors/singleview/port.js';
import { READ_FIXTURE } from './fixture.js';
import { roleContract } from './harness.js';

export const identityIndexContract = roleContract<IdentityIndexPort>({
  role: 'IdentityIndexPort',
  methods: { customerIdsByIdentity: true, claimIdentity: true, moveIdentity: true, releaseIdentity: true, customerIdsByMatch: true, claimMatch: true, releaseMatch: true },
  items: READ_FIXTURE,
  tests: (view) => {
    it('finds the customer holding each identifier, in order', async () => {
      expect(
        await view.store.customerIdsByIdentity([
          { type: 'EMAIL', value: 'c9@example.com' },
          { type: 'EMAIL', value: 'nobody@example.com' },
          { type: 'PHONE', value: 'c9@example.com' },
          { type: 'EMAIL', value: 'c1@example.com' },
        ]),
      ).toEqual(['cus_9', null, null, 'cus_1']);
    });

    it('claims an identifier for one customer, moves and releases it only from its holders', async () => {
      const { store } = view;
      const key = { type: 'EMAIL', value: 'claim@example.com' } as const;
      expect(await store.claimIdentity(key, 'c1')).toEqual({ status: 'claimed' });
      expect(await store.claimIdentity(key, 'c2')).toEqual({ status: 'held', customerId: 'c1' });
      expect(await store.moveIdentity(key, ['c9'], 'c2')).toBe('conflict');
      expect(await store.moveIdentity(key, ['c0', 'c1'], 'c2')).toBe('written');
      expect(await store.releaseIdentity(key, ['c1'])).toBe('conflict');
      expect(await store.customerIdsByIdentity([key])).toEqual(['c2']);
      expect(await store.releaseIdentity(key, ['c2'])).toBe('written');
      expect(await store.customerIdsByIdentity([key])).toEqual([null]);
    });

    it('claims a match group for one customer and releases it only from its holders, apart from the identifiers', async () => {
      const { store } = view;
      expect(await store.claimMatch('m-1', 'cus_1')).toEqual({ status: 'claimed' });
      expect(await store.claimMatch('m-1', 'cus_2')).toEqual({ status: 'held', customerId: 'cus_1' });
      expect(await store.customerIdsByMatch(['m-2', 'm-1'])).toEqual([null, 'cus_1']);
      expect(await store.releaseMatch('m-1', ['cus_2'])).toBe('conflict');
      expect(await store.releaseMatch('m-1', ['cus_2', 'cus_1'])).toBe('written');
      expect(await store.customerIdsByMatch(['m-1'])).toEqual([null]);
      // The identity index is untouched by match links.
      expect(await store.customerIdsByIdentity([{ type: 'EMAIL', value: 'c1@example.com' }])).toEqual(['cus_1']);
    });
  },
});
