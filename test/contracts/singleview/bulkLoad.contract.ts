import { expect, it } from 'vitest';
import type { BulkLoadPort } from '../../../connectors/singleview/port.js';
import { customerAt, eventOf } from './fixture.js';
import { roleContract } from './harness.js';

export const bulkLoadContract = roleContract<BulkLoadPort>({
  role: 'BulkLoadPort',
  methods: { getLoadMarker: true, bulkLoad: true, putLoadMarker: true },
  tests: (view) => {
    it('bulk loads customers with their identity index, events and consent history, and keeps the marker written last', async () => {
      const { store } = view;
      expect(await store.getLoadMarker()).toBeNull();
      const loaded = customerAt('b1', 1, { identities: [{ type: 'EMAIL', value: 'b1@example.org', source: 'seed', firstSeenAt: '2026-11-01T00:00:00.000Z', lastSeenAt: '2026-11-01T00:00:00.000Z' }] });
      const change = { customerId: 'b1', id: 'c1', purpose: 'MARKETING' as const, status: 'GRANTED' as const, channel: null, source: 'seed', at: '2026-11-01T00:00:00.000Z', note: null };
      await store.bulkLoad({ customers: [loaded], events: [eventOf('b1', 1), eventOf('b1', 2)], consentHistory: [change] });
      expect((await store.getCustomers(['b1']))[0]).toMatchObject({ id: 'b1', version: 1 });
      expect(await store.customerIdsByIdentity([{ type: 'EMAIL', value: 'b1@example.org' }])).toEqual(['b1']);
      expect((await store.getEvents('b1', { first: 10 })).events.map((e) => e.id)).toEqual(['e001', 'e002']);
      expect((await store.getConsentHistory('b1', { first: 10 })).map((c) => c.id)).toEqual(['c1']);
      await store.putLoadMarker({ version: 2, customers: 1, at: '2026-11-01T00:00:00.000Z' });
      expect(await store.getLoadMarker()).toEqual({ version: 2, customers: 1, at: '2026-11-01T00:00:00.000Z' });
    });
  },
});
