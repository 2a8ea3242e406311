import { expect, it } from 'vitest';
import type { ErasurePort } from '../../../connectors/singleview/port.js';
import type { ErasureJobRecord } from '../../../src/domain/index.js';
import { at } from './fixture.js';
import { roleContract } from './harness.js';

export const erasureContract = roleContract<ErasurePort>({
  role: 'ErasurePort',
  methods: { getErasureJob: true, putErasureJob: true, getSuppressions: true, putSuppressions: true, deleteSuppression: true, claimSuppressionKeyFingerprint: true },
  tests: (view) => {
    it('files an erasure job under each id it names and replaces it as sources report', async () => {
      const { store } = view;
      const job = (customerId: string, status: 'FAILED' | 'ERASED'): ErasureJobRecord => ({
        customerId,
        canonicalId: 'cus_e1',
        requestedAt: at(0),
        updatedAt: at(1),
        customerIds: ['cus_e1', 'cus_e2'],
        sources: { singleview: { status: 'ERASED', at: at(1) }, crm: { status, detail: status === 'FAILED' ? 'crm source is unavailable' : null, at: at(1) } },
        completedAt: status === 'ERASED' ? at(1) : null,
      });
      expect(await store.getErasureJob('cus_e1')).toBeNull();
      await store.putErasureJob(job('cus_e1', 'FAILED'));
      await store.putErasureJob(job('cus_e2', 'FAILED'));
      expect(await store.getErasureJob('cus_e2')).toEqual(job('cus_e2', 'FAILED'));
      await store.putErasureJob(job('cus_e1', 'ERASED'));
      expect(await store.getErasureJob('cus_e1')).toEqual(job('cus_e1', 'ERASED'));
    });

    it('keeps the suppression list beside the fingerprint of its key: the first claim stores it, later claims never overwrite it', async () => {
      const { store } = view;
      const entry = { hash: 'cd'.repeat(32), identityType: 'EMAIL' as const, customerId: 'cus_erased', suppressedAt: at(0) };
      expect(await store.claimSuppressionKeyFingerprint('0123456789abcdef')).toBe('0123456789abcdef');
      expect(await store.claimSuppressionKeyFingerprint('fedcba9876543210')).toBe('0123456789abcdef');
      expect(await store.claimSuppressionKeyFingerprint('0123456789abcdef')).toBe('0123456789abcdef');
      await store.putSuppressions([entry]);
      // The fingerprint is no entry: a lookup by hash finds entries only.
      expect(await store.getSuppressions([entry.hash, 'ef'.repeat(32)])).toEqual([entry, null]);
      expect(await store.deleteSuppression(entry.hash)).toEqual(entry);
      expect(await store.deleteSuppression(entry.hash)).toBeNull();
      expect(await store.getSuppressions([entry.hash])).toEqual([null]);
      expect(await store.claimSuppressionKeyFingerprint('fedcba9876543210')).toBe('0123456789abcdef');
    });
  },
});
