import { h } from '../dom.js';
import type { Child } from '../dom.js';
import { reasonText } from '../privacy.js';
import type { FieldNotes } from '../privacy.js';

/**
 * A personal field as the agent must see it: its value when released; its
 * value marked "masked"/"hashed" when transformed; "Withheld" with the
 * reason when withheld; "Not on record" only when the gateway released the
 * field and it is empty. A withheld field never looks like an empty one.
 * `data-field` and `data-privacy` let tests and assistive tools find both.
 */
export function personal(value: unknown, path: string, notes: FieldNotes, format: (value: unknown) => string = String): HTMLElement {
  const note = notes.at(path);
  if (note?.decision === 'deny' || (note && (value === null || value === undefined))) {
    return h(
      'span',
      { class: 'pii pii-withheld', 'data-field': path, 'data-privacy': 'deny', 'data-reason': note.reason },
      h('span', { class: 'badge badge-withheld' }, 'Withheld'),
      ' ',
      h('span', { class: 'reason' }, `${reasonText(note.reason)} (${note.reason})`),
    );
  }
  if (note) {
    const label = note.decision === 'mask' ? 'Masked' : 'Hashed';
    return h(
      'span',
      { class: `pii pii-${note.decision}`, 'data-field': path, 'data-privacy': note.decision, 'data-reason': note.reason },
      h('span', { class: note.decision === 'hash' ? 'value hash' : 'value' }, format(value)),
      ' ',
      h('span', { class: `badge badge-${note.decision}` }, label),
      ' ',
      h('span', { class: 'reason' }, `${reasonText(note.reason)} (${note.reason})`),
    );
  }
  if (value === null || value === undefined || value === '') return absent(path);
  return h('span', { class: 'pii', 'data-field': path, 'data-privacy': 'allow' }, format(value));
}

/** A personal date and time: a `<time>` when released as it is, otherwise marked like any personal field. */
export function personalWhen(value: string | null | undefined, path: string, notes: FieldNotes): HTMLElement {
  if (notes.at(path)) return personal(value, path, notes, (v) => String(v));
  if (!value) return absent(path);
  const element = when(value, path);
  element.setAttribute('data-privacy', 'allow');
  return element;
}

/**
 * A part of the customer (its loyalty account, its case list, its timeline)
 * that the privacy layer withheld as a whole: marked where its contents would
 * be, with the reason, like a withheld field. Undefined when it was not withheld.
 */
export function withheldPart(path: string, notes: FieldNotes): HTMLElement | undefined {
  const note = notes.at(path);
  return note?.decision === 'deny' ? h('p', { class: 'note withheld-part' }, personal(null, path, notes)) : undefined;
}

/** A non-personal field. */
export function plain(value: string | number | null | undefined, path?: string): HTMLElement {
  if (value === null || value === undefined || value === '') return absent(path);
  return h('span', { 'data-field': path }, String(value));
}

function absent(path: string | undefined): HTMLElement {
  return h('span', { class: 'absent', 'data-field': path, 'data-privacy': 'absent' }, 'Not on record');
}

/** Times in UTC, minute precision: what an agent reads out; the exact instant stays in `datetime`. */
export function when(iso: string | null | undefined, path?: string): HTMLElement {
  if (!iso) return absent(path);
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  return h('time', { datetime: iso, 'data-field': path }, text);
}

export function details(rows: readonly (readonly [string, Child])[]): HTMLDListElement {
  return h('dl', { class: 'details' }, rows.map(([label, value]) => h('div', { class: 'row' }, h('dt', {}, label), h('dd', {}, value))));
}

/** A table in a region that scrolls sideways when a value is long (a hash): focusable, so the keyboard can scroll it too. */
export function dataTable(caption: string, columns: readonly string[], rows: readonly (readonly Child[])[]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: 0 },
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, columns.map((column) => h('th', { scope: 'col' }, column)))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))),
    ),
  );
}

/** A card with a heading; `id` names the section for tests and the skip links. */
export function card(id: string, title: string, ...body: Child[]): HTMLElement {
  return h('section', { class: 'card', id: `section-${id}`, 'aria-labelledby': `heading-${id}` }, h('h3', { id: `heading-${id}`, tabindex: -1 }, title), ...body);
}

export function note(text: string, kind: 'muted' | 'warning' = 'muted'): HTMLElement {
  return h('p', { class: `note note-${kind}` }, text);
}

/** One event property's value, compact and readable. */
export function formatProperty(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
