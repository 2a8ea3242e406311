import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AuditRecordModel, CustomerRecord, EventRecord } from '../../src/domain/index.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import { identityIndexKey } from '../../src/domain/index.js';

/** What every single view adapter is loaded with before the contract runs: items as stored. */
export interface SingleViewFixture {
  /** Customer items: a record plus its stored `version`; one malformed item (`cus_bad`). */
  readonly customers: ReadonlyArray<Record<string, unknown>>;
  /** Identity index items `{ key, customerId }`. */
  readonly identities: ReadonlyArray<{ key: string; customerId: string }>;
  readonly events: readonly EventRecord[];
}

export type SingleViewFactory = (fixture: SingleViewFixture) => Promise<{ store: SingleViewPort; cleanup(): Promise<void> }>;

const at = (minute: number) => new Date(Date.UTC(2026, 9, 1, 12, minute)).toISOString();

const customer = (n: number): CustomerRecord => ({
  id: `cus_${n}`,
  createdAt: at(0),
  updatedAt: at(1),
  profile: { firstName: `F${n}`, lastName: null, email: null, phone: null, birthDate: null, address: null },
  identities: [{ type: 'EMAIL', value: `c${n}@example.com`, source: 'web', firstSeenAt: at(0), lastSeenAt: at(1) }],
  consents: [{ purpose: 'MARKETING', status: 'GRANTED', channel: 'web', updatedAt: at(0), source: 'test' }],
  segments: [{ segmentId: 'high_value', since: at(1) }],
  traits: { lifetimeValue: 10 * n, orderCount: n, firstSeenAt: at(0), lastSeenAt: at(1) },
  mergedInto: null,
  aliases: [],
});

const event = (n: number, minute: number, type: string): EventRecord => ({
  id: `evt_${String(n).padStart(3, '0')}`,
  customerId: 'cus_1',
  type,
  occurredAt: at(minute),
  receivedAt: at(minute),
  channel: 'web',
  source: 'test',
  properties: { n },
});

const customers = Array.from({ length: 130 }, (_, i) => customer(i + 1));
// Two events share a timestamp: the id breaks the tie.
const events = [event(1, 5, 'Page Viewed'), event(2, 3, 'Order Completed'), event(3, 9, 'Page Viewed'), event(4, 3, 'Page Viewed'), event(5, 7, 'Order Completed')];
const timeline = [...events].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id));

export const SINGLE_VIEW_FIXTURE: SingleViewFixture = {
  customers: [...customers.map((c) => ({ ...c, version: 1 })), { id: 'cus_bad', createdAt: 7 }],
  identities: customers.map((c) => ({ key: identityIndexKey(c.identities[0]!), customerId: c.id })),
  events,
};

/**
 * The single view port's contract (DataLoader's batch contract, timeline
 * paging, the audit trail, API keys). Every adapter runs it: DynamoDB on
 * dynalite, and the in-memory adapter the benchmarks use.
 */
export function defineSingleViewContract(adapter: string, factory: SingleViewFactory): void {
  describe(`single view port contract: ${adapter}`, () => {
    let store: SingleViewPort;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ store, cleanup } = await factory(SINGLE_VIEW_FIXTURE));
    });
    afterAll(() => cleanup?.());

    it('reads N customers in order, across BatchGetItem chunks of 100, null when missing, Error when malformed', async () => {
      const ids = [...customers.map((c) => c.id).reverse(), 'cus_missing', 'cus_bad', 'cus_7'];
      const results = await store.getCustomers(ids);
      // The stored item's version (for conditional writes) comes back with it.
      expect(results.slice(0, 130)).toEqual([...customers].reverse().map((c) => ({ ...c, version: 1, lastEventAt: {} })));
      expect(results[130]).toBeNull();
      expect(results[131]).toBeInstanceOf(Error);
      expect(results[132]).toEqual({ ...customers[6], version: 1, lastEventAt: {} });
    });

    it('reads merge links as a projection', async () => {
      expect(await store.getMergeLinks(['cus_2', 'cus_missing'])).toEqual([{ id: 'cus_2', mergedInto: null }, null]);
    });

    it('finds the customer holding each identifier, in order', async () => {
      expect(
        await store.customerIdsByIdentity([
          { type: 'EMAIL', value: 'c9@example.com' },
          { type: 'EMAIL', value: 'nobody@example.com' },
          { type: 'PHONE', value: 'c9@example.com' },
          { type: 'EMAIL', value: 'c1@example.com' },
        ]),
      ).toEqual(['cus_9', null, null, 'cus_1']);
    });

    it('pages a timeline in time order, ties broken by id', async () => {
      const first = await store.getEvents('cus_1', { first: 2 });
      expect(first).toEqual({ events: timeline.slice(0, 2), hasNextPage: true });
      const last = timeline[1]!;
      const rest = await store.getEvents('cus_1', { first: 10, after: { occurredAt: last.occurredAt, id: last.id } });
      expect(rest).toEqual({ events: timeline.slice(2), hasNextPage: false });
    });

    it('pages a timeline newest first, ties broken by id descending, with the same filters and cursors', async () => {
      const newest = [...timeline].reverse();
      const first = await store.getEvents('cus_1', { first: 2, order: 'NEWEST_FIRST' });
      expect(first).toEqual({ events: newest.slice(0, 2), hasNextPage: true });
      const last = newest[1]!;
      const rest = await store.getEvents('cus_1', { first: 10, order: 'NEWEST_FIRST', after: { occurredAt: last.occurredAt, id: last.id } });
      expect(rest).toEqual({ events: newest.slice(2), hasNextPage: false });
      const window = newest.filter((e) => e.occurredAt >= at(4) && e.occurredAt <= at(7));
      const windowFirst = await store.getEvents('cus_1', { first: 1, order: 'NEWEST_FIRST', since: at(4), until: at(7) });
      expect(windowFirst).toEqual({ events: window.slice(0, 1), hasNextPage: window.length > 1 });
      const windowRest = await store.getEvents('cus_1', {
        first: 10,
        order: 'NEWEST_FIRST',
        since: at(4),
        until: at(7),
        after: { occurredAt: window[0]!.occurredAt, id: window[0]!.id },
      });
      expect(windowRest).toEqual({ events: window.slice(1), hasNextPage: false });
      expect(await store.getEvents('cus_1', { first: 10, order: 'NEWEST_FIRST', types: ['Order Completed'] })).toEqual({
        events: newest.filter((e) => e.type === 'Order Completed'),
        hasNextPage: false,
      });
    });

    it('filters a timeline by type and by a time window', async () => {
      expect(await store.getEvents('cus_1', { first: 10, types: ['Order Completed'] })).toEqual({
        events: timeline.filter((e) => e.type === 'Order Completed'),
        hasNextPage: false,
      });
      expect(await store.getEvents('cus_1', { first: 10, since: at(4), until: at(7) })).toEqual({
        events: timeline.filter((e) => e.occurredAt >= at(4) && e.occurredAt <= at(7)),
        hasNextPage: false,
      });
      expect(await store.getEvents('cus_none', { first: 10 })).toEqual({ events: [], hasNextPage: false });
    });

    it('appends audit records and pages them newest first per customer, each customer\'s item naming only that customer', async () => {
      const record = (n: number, customerIds: string[]): AuditRecordModel => ({
        id: `aud_${n}`,
        at: at(n),
        principal: 'key:test',
        purpose: 'SUPPORT',
        operation: 'FullCustomer',
        customerIds,
        fields: [{ path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'allow', reason: null }],
        traceId: 'abc',
      });
      await store.appendAudit(record(1, ['cus_1']));
      await store.appendAudit(record(2, ['cus_1', 'cus_2']));
      await store.appendAudit(record(3, ['cus_1']));
      const page = await store.getAuditTrail('cus_1', 2);
      expect(page).toEqual({ records: [record(3, ['cus_1']), record(2, ['cus_1'])], hasNextPage: true });
      expect(await store.getAuditTrail('cus_1', 2, { at: at(2), id: 'aud_2' })).toEqual({ records: [record(1, ['cus_1'])], hasNextPage: false });
      expect(await store.getAuditTrail('cus_2', 5)).toEqual({ records: [record(2, ['cus_2'])], hasNextPage: false });
    });

    it('fails an audit record over the item size limit on its own and writes the others (batch contract)', async () => {
      // Random text: the stored form is compressed, so repeated characters would fit.
      const record = (id: string, customerId: string, pathLength: number): AuditRecordModel => ({
        id,
        at: at(9),
        principal: 'key:test',
        purpose: 'SUPPORT',
        operation: 'Big',
        customerIds: [customerId],
        fields: [{ path: randomBytes(pathLength).toString('base64'), piiClass: 'CONTACT', decision: 'allow', reason: null }],
        traceId: 'big',
      });
      const results = await store.appendAudits([record('ok_1', 'cus_big_1', 10), record('huge', 'cus_big_2', 450 * 1024), record('ok_2', 'cus_big_3', 10)]);
      expect(results.map((result) => (result instanceof Error ? result.message : result))).toEqual([
        undefined,
        'singleview source rejected the request: an audit item is over the 400 KB item limit',
        undefined,
      ]);
      expect((await store.getAuditTrail('cus_big_1', 5)).records.map((r) => r.id)).toEqual(['ok_1']);
      expect((await store.getAuditTrail('cus_big_2', 5)).records).toEqual([]);
      expect((await store.getAuditTrail('cus_big_3', 5)).records.map((r) => r.id)).toEqual(['ok_2']);
    });

    it('stores, finds and lists API keys', async () => {
      const key = { keyId: 'k1', secretHash: 'ab'.repeat(32), clientName: 'Test', scopes: ['customer:read'], purposes: ['SUPPORT' as const], createdAt: at(0), revoked: false };
      await store.putApiKey(key);
      expect(await store.getApiKey('k1')).toEqual(key);
      expect(await store.getApiKey('k2')).toBeNull();
      expect(await store.listApiKeys()).toEqual([key]);
    });

    it('keeps the suppression list beside the fingerprint of its key: the first claim stores it, later claims never overwrite it', async () => {
      const entry = { hash: 'cd'.repeat(32), identityType: 'EMAIL' as const, customerId: 'cus_erased', suppressedAt: at(0) };
      expect(await store.claimSuppressionKeyFingerprint('0123456789abcdef')).toBe('0123456789abcdef');
      expect(await store.claimSuppressionKeyFingerprint('fedcba9876543210')).toBe('0123456789abcdef');
      expect(await store.claimSuppressionKeyFingerprint('0123456789abcdef')).toBe('0123456789abcdef');
      await store.putSuppressions([entry]);
      // The fingerprint is no entry: a lookup by hash finds entries only.
      expect(await store.getSuppressions([entry.hash, 'ef'.repeat(32)])).toEqual([entry, null]);
      expect(await store.deleteSuppression(entry.hash)).toEqual(entry);
      expect(await store.getSuppressions([entry.hash])).toEqual([null]);
      expect(await store.claimSuppressionKeyFingerprint('fedcba9876543210')).toBe('0123456789abcdef');
    });

    it('reports health', async () => {
      await expect(store.health()).resolves.toBeUndefined();
    });
  });
}
