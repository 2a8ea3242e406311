import { expect, it } from 'vitest';
import type { IdempotencyPort } from '../../../connectors/singleview/port.js';
import { roleContract } from './harness.js';

/** The DynamoDB adapter keeps a key the configured retention from its claim (7 days by default), whatever expiry it is given. */
const WEEK_AFTER_CLAIM = Date.parse('2026-11-01T00:00:00.000Z') / 1000 + 7 * 86_400;
const claimOf = (key: string, eventId: string) => ({ key, eventId, customerId: 'c1', occurredAt: '2026-11-01T00:00:00.000Z', claimedAt: '2026-11-01T00:00:00.000Z', expiresAt: WEEK_AFTER_CLAIM });

export const idempotencyContract = roleContract<IdempotencyPort>({
  role: 'IdempotencyPort',
  methods: { claimIdempotencyKey: true, takeOverIdempotencyKey: true, releaseIdempotencyKey: true },
  tests: (view) => {
    it('claims an idempotency key once and gives it back only to its event', async () => {
      const { store } = view;
      const record = claimOf('p#k1', 'e1');
      expect(await store.claimIdempotencyKey(record)).toEqual({ status: 'claimed' });
      expect(await store.claimIdempotencyKey({ ...record, eventId: 'e2' })).toEqual({ status: 'exists', record });
      await store.releaseIdempotencyKey('p#k1', 'e2');
      expect(await store.claimIdempotencyKey({ ...record, eventId: 'e3' })).toEqual({ status: 'exists', record });
      await store.releaseIdempotencyKey('p#k1', 'e1');
      expect(await store.claimIdempotencyKey({ ...record, eventId: 'e3' })).toEqual({ status: 'claimed' });
    });

    it('keeps an idempotency key’s payload hash with it', async () => {
      const { store } = view;
      const record = { ...claimOf('p#k2', 'e1'), payloadHash: 'ab'.repeat(32) };
      expect(await store.claimIdempotencyKey(record)).toEqual({ status: 'claimed' });
      expect(await store.claimIdempotencyKey({ ...record, eventId: 'e2', payloadHash: 'cd'.repeat(32) })).toEqual({ status: 'exists', record });
    });

    it('hands a key over to a new event only while it still names the event it was taken from', async () => {
      const { store } = view;
      const abandoned = claimOf('p#k3', 'e1');
      await store.claimIdempotencyKey(abandoned);
      expect(await store.takeOverIdempotencyKey(claimOf('p#k3', 'e3'), 'e2')).toBe('conflict');
      expect(await store.takeOverIdempotencyKey(claimOf('p#k3', 'e2'), 'e1')).toBe('written');
      expect(await store.takeOverIdempotencyKey(claimOf('p#k3', 'e3'), 'e1')).toBe('conflict');
      expect(await store.claimIdempotencyKey(claimOf('p#k3', 'e4'))).toEqual({ status: 'exists', record: claimOf('p#k3', 'e2') });
    });
  },
});
