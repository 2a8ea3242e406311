import { expect, it } from 'vitest';
import type { IdentityLogPort } from '../../../connectors/singleview/port.js';
import type { IdentityLogEntry } from '../../../src/domain/index.js';
import { roleContract } from './harness.js';

const entry = (customerId: string, n: number): IdentityLogEntry => ({
  customerId,
  id: `log_${n}`,
  at: new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString(),
  kind: n === 0 ? 'create' : 'link',
  rule: n === 0 ? 'new-identifier' : 'exact-match',
  identityKeys: [`ANONYMOUS_ID#a${n}`],
  principal: 'key:ingest',
});

export const identityLogContract = roleContract<IdentityLogPort>({
  role: 'IdentityLogPort',
  methods: { appendIdentityLog: true, getIdentityLog: true, deleteIdentityLog: true },
  tests: (view) => {
    it('keeps each customer’s identity change log newest first, and deletes it', async () => {
      const { store } = view;
      await store.appendIdentityLog([entry('l1', 0), entry('l1', 2), entry('l2', 1), entry('l1', 1)]);
      expect(await store.getIdentityLog('l1', 2)).toEqual([entry('l1', 2), entry('l1', 1)]);
      expect((await store.getIdentityLog('l1', 10)).map((e) => e.id)).toEqual(['log_2', 'log_1', 'log_0']);
      expect(await store.getIdentityLog('l2', 10)).toEqual([entry('l2', 1)]);
      expect(await store.deleteIdentityLog('l1')).toEqual({ deleted: 3, more: false });
      expect(await store.getIdentityLog('l1', 10)).toEqual([]);
      expect(await store.getIdentityLog('l2', 10)).toEqual([entry('l2', 1)]);
    });
  },
});
