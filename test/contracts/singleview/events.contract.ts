import { expect, it } from 'vitest';
import type { EventPort } from '../../../connectors/singleview/port.js';
import { READ_FIXTURE, TIMELINE, at, eventOf } from './fixture.js';
import { roleContract } from './harness.js';

export const eventContract = roleContract<EventPort>({
  role: 'EventPort',
  methods: { getEvents: true, putEvent: true, putEvents: true, eventExists: true, deleteEvent: true, moveEvents: true, moveEventsVia: true, deleteEvents: true },
  items: READ_FIXTURE,
  tests: (view) => {
    it('pages a timeline in time order, ties broken by id', async () => {
      const first = await view.store.getEvents('cus_1', { first: 2 });
      expect(first).toEqual({ events: TIMELINE.slice(0, 2), hasNextPage: true });
      const last = TIMELINE[1]!;
      const rest = await view.store.getEvents('cus_1', { first: 10, after: { occurredAt: last.occurredAt, id: last.id } });
      expect(rest).toEqual({ events: TIMELINE.slice(2), hasNextPage: false });
    });

    it('pages a timeline newest first, ties broken by id descending, with the same filters and cursors', async () => {
      const { store } = view;
      const newest = [...TIMELINE].reverse();
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
      const { store } = view;
      expect(await store.getEvents('cus_1', { first: 10, types: ['Order Completed'] })).toEqual({
        events: TIMELINE.filter((e) => e.type === 'Order Completed'),
        hasNextPage: false,
      });
      expect(await store.getEvents('cus_1', { first: 10, since: at(4), until: at(7) })).toEqual({
        events: TIMELINE.filter((e) => e.occurredAt >= at(4) && e.occurredAt <= at(7)),
        hasNextPage: false,
      });
      expect(await store.getEvents('cus_none', { first: 10 })).toEqual({ events: [], hasNextPage: false });
    });

    it('stores an event put twice once', async () => {
      const { store } = view;
      await store.putEvent(eventOf('once', 1));
      await store.putEvent(eventOf('once', 1));
      expect(await store.getEvents('once', { first: 10 })).toEqual({ events: [eventOf('once', 1)], hasNextPage: false });
    });

    it('moves a timeline a page at a time, and deletes one a page at a time', async () => {
      const { store } = view;
      await store.putEvents(Array.from({ length: 30 }, (_, n) => eventOf('from', n)));
      expect(await store.moveEvents('from', 'to', 20)).toEqual({ moved: 20, more: true });
      expect(await store.moveEvents('from', 'to', 20)).toEqual({ moved: 10, more: false });
      const moved = await store.getEvents('to', { first: 100 });
      expect(moved.events.map((e) => [e.id, e.customerId])).toEqual(Array.from({ length: 30 }, (_, n) => [eventOf('to', n).id, 'to']));
      expect((await store.getEvents('from', { first: 5 })).events).toEqual([]);
      expect(await store.eventExists('to', eventOf('to', 3))).toBe(true);
      await store.deleteEvent('to', eventOf('to', 3));
      expect(await store.eventExists('to', eventOf('to', 3))).toBe(false);
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
      const { store } = view;
      const via = (n: number, v: string | null) => ({ ...eventOf('split-from', n), via: v });
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
  },
});
