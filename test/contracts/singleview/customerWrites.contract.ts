import { expect, it } from 'vitest';
import type { CustomerWritePort } from '../../../connectors/singleview/port.js';
import type { CustomerRecord } from '../../../src/domain/index.js';
import { customerAt } from './fixture.js';
import { roleContract } from './harness.js';

export const customerWriteContract = roleContract<CustomerWritePort>({
  role: 'CustomerWritePort',
  methods: { createCustomer: true, replaceCustomer: true, replaceCustomerKeepingActivity: true, updateCustomerActivity: true, deleteCustomers: true },
  tests: (view) => {
    it('creates a customer once, and replaces it only at the version read', async () => {
      const { store } = view;
      expect(await store.createCustomer(customerAt('w1', 1))).toBe('written');
      expect(await store.createCustomer(customerAt('w1', 1))).toBe('conflict');
      expect(await store.replaceCustomer(customerAt('w1', 2, { activityRevision: 0 }), 1)).toBe('written');
      expect(await store.replaceCustomer(customerAt('w1', 2, { activityRevision: 0 }), 1)).toBe('conflict');
      expect((await store.getCustomers(['w1'], { consistent: true }))[0]).toMatchObject({ id: 'w1', version: 2, activityRevision: 1 });
    });

    it('updates the activity alone, at the version and activity revision read, and a replace after it must have read it', async () => {
      const { store } = view;
      await store.createCustomer(customerAt('w3', 1, { profile: { firstName: 'Ada' } }));
      const [created] = await store.getCustomers(['w3'], { consistent: true });
      expect(created).toMatchObject({ version: 1, activityRevision: 0 });
      const base = created as CustomerRecord;
      const seen = '2026-11-02T00:00:00.000Z';
      const tracked: CustomerRecord = {
        ...base,
        // Not part of the activity: ignored.
        profile: { ...base.profile, firstName: 'Ignored' },
        traits: { ...base.traits, orderCount: 7, lastSeenAt: seen },
        lastEventAt: { 'Order Completed': seen },
        identities: base.identities.map((identity) => ({ ...identity, lastSeenAt: seen })),
        segments: [{ segmentId: 'buyers', since: seen }],
        updatedAt: seen,
      };
      expect(await store.updateCustomerActivity(tracked, { version: 1, activityRevision: 0 })).toBe('written');
      // The same revision again: someone else's change came first.
      expect(await store.updateCustomerActivity(tracked, { version: 1, activityRevision: 0 })).toBe('conflict');
      const read = (await store.getCustomers(['w3'], { consistent: true }))[0] as CustomerRecord;
      expect(read).toMatchObject({
        version: 1,
        activityRevision: 1,
        profile: { firstName: 'Ada' },
        traits: { orderCount: 7, lastSeenAt: seen },
        lastEventAt: { 'Order Completed': seen },
        segments: [{ segmentId: 'buyers', since: seen }],
        updatedAt: seen,
      });
      expect(read.identities.map((identity) => identity.lastSeenAt)).toEqual(base.identities.map(() => seen));
      // A replace from the record read before the `track` would lose it: refused.
      expect(await store.replaceCustomer({ ...base, version: 2 }, 1)).toBe('conflict');
      const current = read;
      expect(await store.replaceCustomer({ ...current, profile: { ...current.profile, firstName: 'Replaced' }, version: 2 }, 1)).toBe('written');
      const [replaced] = await store.getCustomers(['w3'], { consistent: true });
      expect(replaced).toMatchObject({ version: 2, activityRevision: 2, profile: { firstName: 'Replaced' }, traits: { orderCount: 7 } });
      // A `track` that read the customer before the replace cannot land; one that read it after can.
      expect(await store.updateCustomerActivity({ ...tracked, traits: { ...tracked.traits, orderCount: 8 } }, { version: 1, activityRevision: 1 })).toBe('conflict');
      expect(await store.updateCustomerActivity({ ...current, traits: { ...current.traits, orderCount: 9 } }, { version: 2, activityRevision: 2 })).toBe('written');
      expect((await store.getCustomers(['w3'], { consistent: true }))[0]).toMatchObject({ version: 2, activityRevision: 3, traits: { orderCount: 9 }, profile: { firstName: 'Replaced' } });
      // An erased customer takes no `track`.
      await store.deleteCustomers(['w3']);
      expect(await store.updateCustomerActivity(current, { version: 2, activityRevision: 3 })).toBe('conflict');
      expect(await store.getCustomers(['w3'])).toEqual([null]);
    });

    it('replaces all but the activity, keeping a track that landed after the record was read', async () => {
      const { store } = view;
      await store.createCustomer(customerAt('w5', 1, { profile: { firstName: 'Ada' } }));
      const read = (await store.getCustomers(['w5'], { consistent: true }))[0] as CustomerRecord;
      const seen = '2026-11-03T00:00:00.000Z';
      expect(await store.updateCustomerActivity({ ...read, traits: { ...read.traits, orderCount: 3 }, identities: read.identities.map((i) => ({ ...i, lastSeenAt: seen })) }, { version: 1, activityRevision: 0 })).toBe('written');
      // A profile change from the record read before that track.
      expect(await store.replaceCustomerKeepingActivity({ ...read, profile: { ...read.profile, firstName: 'Grace' }, version: 2 }, 1)).toBe('written');
      expect(await store.replaceCustomerKeepingActivity({ ...read, version: 2 }, 1)).toBe('conflict');
      const after = (await store.getCustomers(['w5'], { consistent: true }))[0] as CustomerRecord;
      expect(after).toMatchObject({ version: 2, activityRevision: 1, profile: { firstName: 'Grace' }, traits: { orderCount: 3 } });
      expect(after.identities.map((i) => i.lastSeenAt)).toEqual(read.identities.map(() => seen));
      // A track that read either version still lands on the revision it read.
      expect(await store.updateCustomerActivity({ ...after, traits: { ...after.traits, orderCount: 4 } }, { version: 2, activityRevision: 1 })).toBe('written');
      expect((await store.getCustomers(['w5'], { consistent: true }))[0]).toMatchObject({ version: 2, activityRevision: 2, profile: { firstName: 'Grace' }, traits: { orderCount: 4 } });
    });

    it('keeps the activity of a customer stored before it was kept apart in the customer, until its first replace', async () => {
      const legacy = await view.open({ customers: [{ ...customerAt('w4', 3) }], identities: [], events: [] });
      const read = (await legacy.getCustomers(['w4'], { consistent: true }))[0] as CustomerRecord;
      expect(read.activityRevision).toBeUndefined();
      expect(await legacy.updateCustomerActivity(read, { version: 3, activityRevision: 0 })).toBe('conflict');
      expect(await legacy.replaceCustomer({ ...read, version: 4 }, 3)).toBe('written');
      expect((await legacy.getCustomers(['w4'], { consistent: true }))[0]).toMatchObject({ version: 4, activityRevision: 0 });
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
