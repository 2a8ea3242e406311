import { expect, it } from 'vitest';
import type { ConsentHistoryPort } from '../../../connectors/singleview/port.js';
import { roleContract } from './harness.js';

export const consentHistoryContract = roleContract<ConsentHistoryPort>({
  role: 'ConsentHistoryPort',
  methods: { appendConsentChanges: true, getConsentHistory: true, deleteConsentHistory: true, deleteConsentChanges: true },
  tests: (view) => {
    it('keeps consent history newest first, by purpose, and deletes it', async () => {
      const { store } = view;
      const change = (id: string, purpose: 'MARKETING' | 'ANALYTICS', at: string) => ({ customerId: 'h1', id, purpose, status: 'GRANTED' as const, channel: null, source: 's', at, note: null });
      await store.appendConsentChanges([change('a', 'MARKETING', '2026-11-01T00:00:00.000Z'), change('b', 'ANALYTICS', '2026-11-02T00:00:00.000Z'), change('c', 'MARKETING', '2026-11-03T00:00:00.000Z')]);
      expect((await store.getConsentHistory('h1', { first: 10 })).map((c) => c.id)).toEqual(['c', 'b', 'a']);
      expect((await store.getConsentHistory('h1', { purpose: 'MARKETING', first: 1 })).map((c) => c.id)).toEqual(['c']);
      expect(await store.deleteConsentHistory('h1')).toEqual({ deleted: 3, more: false });
      expect(await store.getConsentHistory('h1', { first: 10 })).toEqual([]);
    });

    it('deletes chosen consent history entries', async () => {
      const { store } = view;
      const change = (id: string, at: string) => ({ customerId: 'h2', id, purpose: 'MARKETING' as const, status: 'DENIED' as const, channel: null, source: 's', at, note: null, origin: 'x' });
      await store.appendConsentChanges([change('a', '2026-11-01T00:00:00.000Z'), change('b', '2026-11-02T00:00:00.000Z')]);
      await store.deleteConsentChanges('h2', [change('a', '2026-11-01T00:00:00.000Z')]);
      expect(await store.getConsentHistory('h2', { first: 10 })).toEqual([{ ...change('b', '2026-11-02T00:00:00.000Z') }]);
    });
  },
});
