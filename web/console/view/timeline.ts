import { announce, h } from '../dom.js';
import type { EventPage } from '../customerQuery.js';
import type { FieldNotes } from '../privacy.js';
import { card, formatProperty, note, personal, personalWhen } from './fields.js';
import type { CustomerView } from './sections.js';
import { unavailable } from './sections.js';

/** Fetches the page after `cursor`; resolves to the page and its field notes, or an error message. */
export type NextPage = (cursor: string) => Promise<{ page: EventPage; notes: FieldNotes } | string>;

/**
 * The events timeline, newest first, with "load more" (older events): each page keeps the field notes of
 * the response it came from (paths are per response). After a page loads,
 * focus moves to its first event so keyboard users continue where they were.
 */
export function timelineCard(view: CustomerView, nextPage: NextPage): HTMLElement {
  const omitted = unavailable(view, 'events');
  const first = view.customer.events;
  if (omitted || !first) return card('events', 'Timeline', omitted ?? note('The timeline is not available.'));
  const list = h('ol', { class: 'timeline', id: 'timeline' });
  const status = h('p', { id: 'timeline-status', class: 'status-line', role: 'status', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', id: 'load-more' }, 'Load older events');
  let cursor = first.pageInfo.endCursor;
  const show = (page: EventPage, notes: FieldNotes): HTMLElement | undefined => {
    const items = page.edges.map((edge, index) => eventItem(edge.node, `events.edges.${index}.node`, notes));
    list.append(...items);
    cursor = page.pageInfo.endCursor;
    more.hidden = !page.pageInfo.hasNextPage;
    announce(status, `${list.childElementCount} events shown${page.pageInfo.hasNextPage ? '; more are available' : '; that is all'}.`);
    return items[0];
  };
  show(first, view.notes);
  more.addEventListener('click', () => {
    if (!cursor) return;
    more.disabled = true;
    announce(status, 'Loading more events…');
    void nextPage(cursor).then((result) => {
      more.disabled = false;
      if (typeof result === 'string') return announce(status, result, 'error');
      show(result.page, result.notes)?.focus();
    });
  });
  const empty = first.edges.length === 0 ? note('No events are recorded.') : null;
  return card('events', 'Timeline (newest first)', empty, list, status, more);
}

function eventItem(event: EventPage['edges'][number]['node'], path: string, notes: FieldNotes): HTMLElement {
  const at = (field: string) => `${path}.${field}`;
  return h(
    'li',
    { 'data-event-id': event.id, tabindex: -1 },
    h('div', { class: 'event-head' }, personalWhen(event.occurredAt, at('occurredAt'), notes), ' ', h('strong', {}, personal(event.type, at('type'), notes))),
    h('div', { class: 'event-meta' }, [
      event.channel || notes.at(at('channel')) ? personal(event.channel, at('channel'), notes) : null,
      event.channel || notes.at(at('channel')) ? ' · ' : null,
      'source ',
      personal(event.source, at('source'), notes),
    ]),
    h('div', { class: 'event-properties' }, properties(event.properties, at('properties'), notes)),
  );
}

/** Each property by its own decision (the tracking plan's class): `key: value` pairs, a withheld one marked with its reason. */
function properties(value: EventPage['edges'][number]['node']['properties'], path: string, notes: FieldNotes): HTMLElement {
  if (notes.at(path)?.decision === 'deny' || value === null || typeof value !== 'object') return personal(value, path, notes);
  const entries = Object.entries(value);
  return h(
    'span',
    { class: 'properties', 'data-field': path },
    entries.flatMap(([key, item], index) => [index > 0 ? ' · ' : null, `${key}: `, personal(item, `${path}.${key}`, notes, formatProperty)]),
  );
}
