import { expect, it } from 'vitest';
import type { MergeSuggestionPort } from '../../../connectors/singleview/port.js';
import { roleContract } from './harness.js';

const suggestion = (id: string, createdAt: string) => ({
  id,
  customerIds: ['a1', 'b1'],
  status: 'OPEN' as const,
  origin: 'UNVERIFIED_MERGE' as const,
  probability: 1,
  evidence: [{ attribute: 'EMAIL', level: 'exact_unverified', weight: null }],
  createdAt,
  updatedAt: createdAt,
  principal: 'key:ingest',
  traceId: null,
  decidedBy: null,
  decidedAt: null,
  reason: null,
});

export const mergeSuggestionContract = roleContract<MergeSuggestionPort>({
  role: 'MergeSuggestionPort',
  methods: { putMergeSuggestion: true, getMergeSuggestion: true, replaceMergeSuggestion: true, listMergeSuggestions: true },
  tests: (view) => {
    it('stores a merge suggestion once per id, decides it only from the status read, and lists by status newest first', async () => {
      const { store } = view;
      const first = suggestion('ms_1', '2026-11-01T00:00:00.000Z');
      expect(await store.putMergeSuggestion(first)).toBe('written');
      expect(await store.putMergeSuggestion({ ...first, probability: 0.5 })).toBe('conflict');
      expect(await store.getMergeSuggestion('ms_1')).toEqual(first);
      expect(await store.getMergeSuggestion('ms_none')).toBeNull();
      for (const [id, at] of [['ms_2', '2026-11-02T00:00:00.000Z'], ['ms_3', '2026-11-03T00:00:00.000Z']] as const) await store.putMergeSuggestion(suggestion(id, at));

      const page1 = await store.listMergeSuggestions({ status: 'OPEN', first: 2 });
      expect({ ids: page1.suggestions.map((x) => x.id), more: page1.hasNextPage }).toEqual({ ids: ['ms_3', 'ms_2'], more: true });
      const last = page1.suggestions.at(-1)!;
      const page2 = await store.listMergeSuggestions({ status: 'OPEN', first: 2, after: { createdAt: last.createdAt, id: last.id } });
      expect({ ids: page2.suggestions.map((x) => x.id), more: page2.hasNextPage }).toEqual({ ids: ['ms_1'], more: false });

      const accepted = { ...first, status: 'ACCEPTED' as const, decidedBy: 'key:admin', decidedAt: '2026-11-04T00:00:00.000Z' };
      expect(await store.replaceMergeSuggestion(accepted, 'OPEN')).toBe('written');
      expect(await store.replaceMergeSuggestion({ ...first, status: 'REJECTED' as const }, 'OPEN')).toBe('conflict');
      expect(await store.getMergeSuggestion('ms_1')).toEqual(accepted);
      expect((await store.listMergeSuggestions({ status: 'OPEN', first: 10 })).suggestions.map((x) => x.id)).toEqual(['ms_3', 'ms_2']);
      expect((await store.listMergeSuggestions({ status: 'ACCEPTED', first: 10 })).suggestions.map((x) => x.id)).toEqual(['ms_1']);
    });
  },
});
