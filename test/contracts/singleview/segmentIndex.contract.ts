import { expect, it } from 'vitest';
import type { SegmentIndexPort } from '../../../connectors/singleview/port.js';
import { SEGMENT_INDEX_SHARDS, segmentIndexShard } from '../../../connectors/singleview/segmentIndex.js';
import { customerRecord } from '../../support/records.js';
import { roleContract } from './harness.js';

const ids = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);

/** The segment index role (SegmentIndexPort in connectors/singleview/port.ts); every single view adapter runs it. */

export const segmentIndexContract = roleContract<SegmentIndexPort>({
  role: 'SegmentIndexPort',
  methods: { putSegmentChange: true, listSegmentChanges: true, deleteSegmentChange: true, getSegmentIndexState: true, putSegmentIndexState: true, deleteSegmentIndexState: true, writeSegmentIndex: true, listSegmentMembers: true, listDueCustomers: true, getSegmentJob: true, putSegmentJob: true, scanCustomerSegment: true },
  tests: ({ store }) => {

    it('lists a segment’s members in customer id order across its shards, a page at a time, and forgets deleted ones', async () => {
      const members = ids(45, 'cus_m');
      expect(new Set(members.map((id) => segmentIndexShard(id))).size).toBeGreaterThan(SEGMENT_INDEX_SHARDS / 2);
      await store.writeSegmentIndex({
        putMembers: [...members.map((customerId) => ({ segmentId: 'seg_a', customerId, since: '2026-11-01T00:00:00.000Z' })), { segmentId: 'seg_b', customerId: 'cus_m000', since: '2026-11-02T00:00:00.000Z' }],
      });
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await store.listSegmentMembers('seg_a', 20, after);
        seen.push(...page.members.map((m) => m.customerId));
        pages += 1;
        if (!page.hasNextPage) break;
        after = page.members.at(-1)!.customerId;
      }
      expect(seen).toEqual(members);
      expect(pages).toBe(3);
      await store.writeSegmentIndex({ deleteMembers: [{ segmentId: 'seg_a', customerId: 'cus_m001' }, { segmentId: 'seg_a', customerId: 'cus_absent' }] });
      const first = await store.listSegmentMembers('seg_a', 2);
      expect(first).toEqual({
        members: [
          { segmentId: 'seg_a', customerId: 'cus_m000', since: '2026-11-01T00:00:00.000Z' },
          { segmentId: 'seg_a', customerId: 'cus_m002', since: '2026-11-01T00:00:00.000Z' },
        ],
        hasNextPage: true,
      });
      expect((await store.listSegmentMembers('seg_b', 20)).members.map((m) => m.customerId)).toEqual(['cus_m000']);
      expect(await store.listSegmentMembers('seg_none', 20)).toEqual({ members: [], hasNextPage: false });
    });

    it('lists due customers of a bucket shard up to a time, earliest first', async () => {
      const due = ids(6, 'cus_d').map((customerId, i) => ({ customerId, dueAt: `2026-11-15T12:0${i}:00.000Z` }));
      await store.writeSegmentIndex({ putDue: due });
      const found = [];
      for (let shard = 0; shard < SEGMENT_INDEX_SHARDS; shard += 1) found.push(...(await store.listDueCustomers('2026-11-15T12', shard, '2026-11-15T12:03:00.000Z', 100)));
      expect(found.map((d) => d.customerId).sort()).toEqual(['cus_d000', 'cus_d001', 'cus_d002', 'cus_d003']);
      const shard = segmentIndexShard('cus_d005');
      expect((await store.listDueCustomers('2026-11-15T12', shard, '2026-11-15T13:00:00.000Z', 100)).map((d) => d.customerId)).toContain('cus_d005');
      // A due time already past when written goes into a later bucket (bucketAt); it is deleted by the same record.
      const late = { customerId: 'cus_late', dueAt: '2026-11-15T09:00:00.000Z', bucketAt: '2026-11-15T12:30:00.000Z' };
      await store.writeSegmentIndex({ putDue: [late] });
      expect(await store.listDueCustomers('2026-11-15T12', segmentIndexShard('cus_late'), '2026-11-15T12:00:00.000Z', 100)).toContainEqual(late);
      await store.writeSegmentIndex({ deleteDue: [late, ...due] });
      for (let s = 0; s < SEGMENT_INDEX_SHARDS; s += 1) expect(await store.listDueCustomers('2026-11-15T12', s, '2026-11-15T23:00:00.000Z', 100)).toEqual([]);
    });

    it('keeps one outbox entry per customer, deleted only while it is still the same entry', async () => {
      await store.putSegmentChange({ customerId: 'cus_o1', seq: 's1', version: 3, at: '2026-11-15T12:00:00.000Z' });
      await store.putSegmentChange({ customerId: 'cus_o1', seq: 's2', version: 4, at: '2026-11-15T12:00:01.000Z' });
      const shard = segmentIndexShard('cus_o1');
      expect(await store.listSegmentChanges(shard, 10)).toEqual([{ customerId: 'cus_o1', seq: 's2', version: 4, at: '2026-11-15T12:00:01.000Z' }]);
      expect(await store.deleteSegmentChange('cus_o1', 's1')).toBe('conflict');
      expect(await store.deleteSegmentChange('cus_o1', 's2')).toBe('written');
      expect(await store.listSegmentChanges(shard, 10)).toEqual([]);
    });

    it('stores a customer’s index state unless a newer version’s is stored', async () => {
      expect(await store.getSegmentIndexState('cus_s1')).toBeNull();
      const state = {
        customerId: 'cus_s1',
        version: 5,
        segments: [{ segmentId: 'seg_a', since: '2026-11-01T00:00:00.000Z' }],
        due: [{ customerId: 'cus_s1', dueAt: '2026-11-16T00:00:00.000Z', bucketAt: null }],
      };
      expect(await store.putSegmentIndexState(state)).toBe('written');
      expect(await store.putSegmentIndexState({ ...state, version: 4, segments: [] })).toBe('conflict');
      expect(await store.getSegmentIndexState('cus_s1')).toEqual(state);
      expect(await store.putSegmentIndexState({ ...state, version: 5, due: [] })).toBe('written');
      await store.deleteSegmentIndexState('cus_s1');
      expect(await store.getSegmentIndexState('cus_s1')).toBeNull();
    });

    it('stores the states of a load beside its member and due items, in one index write', async () => {
      const states = ids(30, 'cus_l').map((customerId, i) => ({
        customerId,
        version: 1,
        segments: [{ segmentId: 'seg_load', since: '2026-11-01T00:00:00.000Z' }],
        due: i % 2 === 0 ? [{ customerId, dueAt: '2026-11-16T00:00:00.000Z' }] : [],
      }));
      await store.writeSegmentIndex({
        putStates: states,
        putMembers: states.map((state) => ({ segmentId: 'seg_load', customerId: state.customerId, since: '2026-11-01T00:00:00.000Z' })),
        putDue: states.flatMap((state) => state.due),
      });
      for (const state of states) expect(await store.getSegmentIndexState(state.customerId)).toEqual(state);
      expect((await store.listSegmentMembers('seg_load', 100)).members.map((m) => m.customerId)).toEqual(states.map((state) => state.customerId));
      const due = [];
      for (let shard = 0; shard < SEGMENT_INDEX_SHARDS; shard += 1) due.push(...(await store.listDueCustomers('2026-11-16T00', shard, '2026-11-16T00:00:00.000Z', 100)));
      expect(due.map((d) => d.customerId).sort()).toEqual(states.filter((state) => state.due.length > 0).map((state) => state.customerId));
    });

    it('creates and replaces a job only at the revision it was read at', async () => {
      expect(await store.getSegmentJob('backfill')).toBeNull();
      expect(await store.putSegmentJob({ id: 'backfill', revision: 1, body: '{"a":1}' }, null)).toBe('written');
      expect(await store.putSegmentJob({ id: 'backfill', revision: 1, body: '{"a":2}' }, null)).toBe('conflict');
      expect(await store.putSegmentJob({ id: 'backfill', revision: 2, body: '{"a":2}' }, 0)).toBe('conflict');
      expect(await store.putSegmentJob({ id: 'backfill', revision: 2, body: '{"a":2}' }, 1)).toBe('written');
      expect(await store.getSegmentJob('backfill')).toEqual({ id: 'backfill', revision: 2, body: '{"a":2}' });
    });

    it('scans the customers in disjoint parts that together hold every customer once', async () => {
      const customers = ids(30, 'cus_p');
      for (const id of customers) expect(await store.createCustomer(customerRecord(id, { version: 1 }))).toBe('written');
      const seen: string[] = [];
      for (let part = 0; part < 4; part += 1) {
        let after: string | undefined;
        do {
          const page = await store.scanCustomerSegment(part, 4, 7, after);
          seen.push(...page.customers.map((c) => c.id));
          after = page.next;
        } while (after);
      }
      expect(seen.filter((id) => id.startsWith('cus_p')).sort()).toEqual(customers);
    });
  },
});
