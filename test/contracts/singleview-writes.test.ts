import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySingleView } from '../../connectors/singleview/memory.js';
import type { CustomerRecord, EventRecord } from '../../src/domain/index.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import { startSingleView } from '../support/dynalite.js';
import { customerRecord } from '../support/records.js';

/**
 * The single view's write operations: the conditions the write path relies
 * on. Every adapter runs them: DynamoDB (on dynalite) and the in-memory one.
 */
/** The DynamoDB adapter keeps a key the configured retention from its claim (7 days by default), whatever expiry it is given. */
const WEEK_AFTER_CLAIM = Date.parse('2026-11-01T00:00:00.000Z') / 1000 + 7 * 86_400;

const ADAPTERS: Array<[string, () => Promise<{ store: SingleViewPort; close(): Promise<void> }>]> = [
  ['dynamodb (on dynalite)', startSingleView],
  ['memory (benchmarks)', async () => {
    const store = new MemorySingleView();
    return { store, close: () => store.close() };
  }],
];

const customer = (id: string, version: number, extra: Partial<CustomerRecord> = {}): CustomerRecord => customerRecord(id, { version, ...extra });
const event = (customerId: string, n: number): EventRecord => ({
  id: `e${String(n).padStart(3, '0')}`,
  customerId,
  type: 'X',
  occurredAt: new Date(Date.UTC(2026, 10, 1, 0, n)).toISOString(),
  receivedAt: '2026-11-01T00:00:00.000Z',
  channel: null,
  source: 'test',
  properties: null,
});

describe.each(ADAPTERS)('single view writes: %s', (_adapter, open) => {
  let store: SingleViewPort;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await open());
  });
  afterAll(() => close?.());

  it('creates a customer once, and replaces it only at the version read', async () => {
    expect(await store.createCustomer(customer('w1', 1))).toBe('written');
    expect(await store.createCustomer(customer('w1', 1))).toBe('conflict');
    expect(await store.replaceCustomer(customer('w1', 2), 1)).toBe('written');
    expect(await store.replaceCustomer(customer('w1', 2), 1)).toBe('conflict');
    expect((await store.getCustomers(['w1'], { consistent: true }))[0]).toMatchObject({ id: 'w1', version: 2 });
  });

  it('never brings back a deleted customer, whatever version the writer read', async () => {
    await store.createCustomer(customer('w2', 1));
    expect(await store.deleteCustomers(['w2', 'nobody'])).toBe(1);
    expect(await store.replaceCustomer(customer('w2', 2), 1)).toBe('conflict');
    expect(await store.replaceCustomer(customer('w2', 1), 0)).toBe('conflict');
    expect(await store.getCustomers(['w2'])).toEqual([null]);
  });

  it('claims an identifier for one customer, moves and releases it only from its holders', async () => {
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

  it('moves a timeline a page at a time, and deletes one a page at a time', async () => {
    await store.putEvents(Array.from({ length: 30 }, (_, n) => event('from', n)));
    expect(await store.moveEvents('from', 'to', 20)).toEqual({ moved: 20, more: true });
    expect(await store.moveEvents('from', 'to', 20)).toEqual({ moved: 10, more: false });
    const moved = await store.getEvents('to', { first: 100 });
    expect(moved.events.map((e) => [e.id, e.customerId])).toEqual(Array.from({ length: 30 }, (_, n) => [event('to', n).id, 'to']));
    expect((await store.getEvents('from', { first: 5 })).events).toEqual([]);
    expect(await store.eventExists('to', event('to', 3))).toBe(true);
    await store.deleteEvent('to', event('to', 3));
    expect(await store.eventExists('to', event('to', 3))).toBe(false);
    const pages = [];
    for (let more = true; more; ) {
      const page = await store.deleteEvents('to');
      pages.push(page.deleted);
      more = page.more;
    }
    expect(pages.reduce((a, b) => a + b, 0)).toBe(29);
    expect((await store.getEvents('to', { first: 5 })).events).toEqual([]);
  });

  it('moves the events of some vias, marking events without one with the customer they came from', async () => {
    const via = (n: number, v: string | null) => ({ ...event('split-from', n), via: v });
    await store.putEvents([via(0, 'EMAIL#a@x.com'), via(1, 'DEVICE_ID#d1'), via(2, null), via(3, 'DEVICE_ID#d1'), via(4, '@old')]);
    const pages: Array<{ moved: number; next?: string | undefined }> = [];
    let after: string | undefined;
    do {
      const page = await store.moveEventsVia('split-from', 'split-to', ['DEVICE_ID#d1', '@old'], after);
      pages.push(page);
      after = page.next;
    } while (after !== undefined);
    expect(pages.reduce((sum, page) => sum + page.moved, 0)).toBe(3);
    const vias = async (id: string) => (await store.getEvents(id, { first: 10 })).events.map((e) => [e.id, e.via ?? null]);
    expect(await vias('split-to')).toEqual([['e001', 'DEVICE_ID#d1'], ['e003', 'DEVICE_ID#d1'], ['e004', '@old']]);
    expect(await vias('split-from')).toEqual([['e000', 'EMAIL#a@x.com'], ['e002', null]]);
    expect(await store.moveEvents('split-from', 'split-to', 10)).toEqual({ moved: 2, more: false });
    expect(await vias('split-to')).toContainEqual(['e002', '@split-from']);
  });

  it('deletes chosen consent history entries', async () => {
    const change = (id: string, at: string) => ({ customerId: 'h2', id, purpose: 'MARKETING' as const, status: 'DENIED' as const, channel: null, source: 's', at, note: null, origin: 'x' });
    await store.appendConsentChanges([change('a', '2026-11-01T00:00:00.000Z'), change('b', '2026-11-02T00:00:00.000Z')]);
    await store.deleteConsentChanges('h2', [change('a', '2026-11-01T00:00:00.000Z')]);
    expect(await store.getConsentHistory('h2', { first: 10 })).toEqual([{ ...change('b', '2026-11-02T00:00:00.000Z') }]);
  });

  it('claims an idempotency key once and gives it back only to its event', async () => {
    const record = { key: 'p#k1', eventId: 'e1', customerId: 'c1', occurredAt: '2026-11-01T00:00:00.000Z', claimedAt: '2026-11-01T00:00:00.000Z', expiresAt: WEEK_AFTER_CLAIM };
    expect(await store.claimIdempotencyKey(record)).toEqual({ status: 'claimed' });
    expect(await store.claimIdempotencyKey({ ...record, eventId: 'e2' })).toEqual({ status: 'exists', record });
    await store.releaseIdempotencyKey('p#k1', 'e2');
    expect(await store.claimIdempotencyKey({ ...record, eventId: 'e3' })).toEqual({ status: 'exists', record });
    await store.releaseIdempotencyKey('p#k1', 'e1');
    expect(await store.claimIdempotencyKey({ ...record, eventId: 'e3' })).toEqual({ status: 'claimed' });
  });

  it('keeps an idempotency key’s payload hash with it', async () => {
    const record = { key: 'p#k2', eventId: 'e1', customerId: 'c1', occurredAt: '2026-11-01T00:00:00.000Z', claimedAt: '2026-11-01T00:00:00.000Z', expiresAt: WEEK_AFTER_CLAIM, payloadHash: 'ab'.repeat(32) };
    expect(await store.claimIdempotencyKey(record)).toEqual({ status: 'claimed' });
    expect(await store.claimIdempotencyKey({ ...record, eventId: 'e2', payloadHash: 'cd'.repeat(32) })).toEqual({ status: 'exists', record });
  });

  it('stores a merge suggestion once per id, decides it only from the status read, and lists by status newest first', async () => {
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

  it('keeps consent history newest first, by purpose, and deletes it', async () => {
    const change = (id: string, purpose: 'MARKETING' | 'ANALYTICS', at: string) => ({ customerId: 'h1', id, purpose, status: 'GRANTED' as const, channel: null, source: 's', at, note: null });
    await store.appendConsentChanges([change('a', 'MARKETING', '2026-11-01T00:00:00.000Z'), change('b', 'ANALYTICS', '2026-11-02T00:00:00.000Z'), change('c', 'MARKETING', '2026-11-03T00:00:00.000Z')]);
    expect((await store.getConsentHistory('h1', { first: 10 })).map((c) => c.id)).toEqual(['c', 'b', 'a']);
    expect((await store.getConsentHistory('h1', { purpose: 'MARKETING', first: 1 })).map((c) => c.id)).toEqual(['c']);
    expect(await store.deleteConsentHistory('h1')).toEqual({ deleted: 3, more: false });
    expect(await store.getConsentHistory('h1', { first: 10 })).toEqual([]);
  });

  it('scans every customer a page at a time', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await store.scanCustomers(1, after);
      seen.push(...page.customers.map((c) => c.id));
      after = page.next;
    } while (after);
    expect(seen.sort()).toEqual(['w1']);
  });

  it('bulk loads customers with their identity index, events and consent history, and keeps the marker written last', async () => {
    expect(await store.getLoadMarker()).toBeNull();
    const loaded = customer('b1', 1, { identities: [{ type: 'EMAIL', value: 'b1@example.org', source: 'seed', firstSeenAt: '2026-11-01T00:00:00.000Z', lastSeenAt: '2026-11-01T00:00:00.000Z' }] });
    const change = { customerId: 'b1', id: 'c1', purpose: 'MARKETING' as const, status: 'GRANTED' as const, channel: null, source: 'seed', at: '2026-11-01T00:00:00.000Z', note: null };
    await store.bulkLoad({ customers: [loaded], events: [event('b1', 1), event('b1', 2)], consentHistory: [change] });
    expect((await store.getCustomers(['b1']))[0]).toMatchObject({ id: 'b1', version: 1 });
    expect(await store.customerIdsByIdentity([{ type: 'EMAIL', value: 'b1@example.org' }])).toEqual(['b1']);
    expect((await store.getEvents('b1', { first: 10 })).events.map((e) => e.id)).toEqual(['e001', 'e002']);
    expect((await store.getConsentHistory('b1', { first: 10 })).map((c) => c.id)).toEqual(['c1']);
    await store.putLoadMarker({ version: 2, customers: 1, at: '2026-11-01T00:00:00.000Z' });
    expect(await store.getLoadMarker()).toEqual({ version: 2, customers: 1, at: '2026-11-01T00:00:00.000Z' });
  });
});
