import { PURPOSES, purposeLabel } from '../../shared/purposes.js';
import { announce, h } from '../dom.js';
import { HISTORY_SIZE } from '../customerQuery.js';
import type { FieldNotes } from '../privacy.js';
import { card, dataTable, note, personal, personalWhen } from './fields.js';
import type { CustomerView } from './sections.js';
import { unavailable } from './sections.js';

export interface ConsentChange {
  readonly purpose: string;
  readonly status: 'GRANTED' | 'DENIED';
  readonly channel: string | null;
}

export interface ConsentCardOptions {
  /** false hides the form; undefined (the gateway cannot say) shows it and lets the gateway decide. */
  readonly writable: boolean | undefined;
  /** Records the change; resolves to an error message, or undefined once the page shows the new state. */
  readonly record: (change: ConsentChange) => Promise<string | undefined>;
}

export function consentsCard(view: CustomerView, options: ConsentCardOptions): HTMLElement {
  const consents = view.customer.consents ?? [];
  const current =
    unavailable(view, 'consents') ??
    (consents.length === 0
      ? note('No consent is recorded.')
      : dataTable(
          'Current consent per purpose',
          ['Purpose', 'Status', 'Channel', 'Source', 'Updated'],
          consents.map((consent, index) => [
            purposeLabel(consent.purpose),
            status(consent.status, `consents.${index}.status`, view.notes, consent.purpose),
            personal(consent.channel, `consents.${index}.channel`, view.notes),
            personal(consent.source, `consents.${index}.source`, view.notes),
            personalWhen(consent.updatedAt, `consents.${index}.updatedAt`, view.notes),
          ]),
        ));
  const first = consents[0]?.purpose ?? 'MARKETING';
  return card('consents', 'Consents', current, history(view), options.writable === false ? null : consentForm(options, first));
}

/** A consent's status, coloured when released; marked like any personal field when not. */
function status(value: string | null, path: string, notes: FieldNotes, purpose: string): HTMLElement {
  if (notes.at(path) || value === null) return personal(value, path, notes);
  return h(
    'span',
    { class: `status status-${value.toLowerCase()}`, 'data-consent': purpose, 'data-field': path, 'data-privacy': 'allow' },
    value === 'GRANTED' ? 'Granted' : 'Denied',
  );
}

/** Shown only when the gateway has `consentHistory`; hidden, not faked, when it does not. */
function history(view: CustomerView): HTMLElement | null {
  const changes = view.customer.consentHistory;
  const omitted = unavailable(view, 'consentHistory');
  if (changes === undefined && !omitted) return null;
  const body =
    omitted ??
    (!changes || changes.length === 0
      ? note('No consent changes are recorded.')
      : dataTable(
          `Consent changes, newest first (up to ${HISTORY_SIZE})`,
          ['When', 'Purpose', 'Status', 'Channel', 'Source', 'Note'],
          changes.map((change, index) => {
            const at = (field: string) => `consentHistory.${index}.${field}`;
            return [
              personalWhen(change.at, at('at'), view.notes),
              purposeLabel(change.purpose),
              personal(change.status, at('status'), view.notes, (value) => (value === 'GRANTED' ? 'Granted' : 'Denied')),
              personal(change.channel, at('channel'), view.notes),
              personal(change.source, at('source'), view.notes),
              change.note || view.notes.at(at('note')) ? personal(change.note, at('note'), view.notes) : '',
            ];
          }),
        ));
  return h('div', { class: 'history', id: 'consent-history' }, h('h4', {}, 'History'), body);
}

function consentForm(options: ConsentCardOptions, initialPurpose: string): HTMLElement {
  const status = h('p', { id: 'consent-status', class: 'status-line', role: 'status', 'aria-live': 'polite' });
  const purpose = h('select', { id: 'consent-purpose', name: 'purpose' }, PURPOSES.map((p) => h('option', { value: p, selected: p === initialPurpose }, purposeLabel(p))));
  const decision = h('select', { id: 'consent-decision', name: 'status' }, h('option', { value: 'GRANTED' }, 'Granted'), h('option', { value: 'DENIED' }, 'Denied'));
  const channel = h('input', { id: 'consent-channel', name: 'channel', type: 'text', autocomplete: 'off', placeholder: 'e.g. phone' });
  const submit = h('button', { type: 'submit' }, 'Record consent change');
  const form = h(
    'form',
    { class: 'consent-form', method: 'post', autocomplete: 'off', 'aria-labelledby': 'consent-form-legend' },
    h(
      'fieldset',
      {},
      h('legend', { id: 'consent-form-legend' }, 'Record a consent change'),
      h('div', { class: 'field' }, h('label', { for: 'consent-purpose' }, 'Purpose'), purpose),
      h('div', { class: 'field' }, h('label', { for: 'consent-decision' }, 'Consent'), decision),
      h('div', { class: 'field' }, h('label', { for: 'consent-channel' }, 'Channel (optional)'), channel),
      submit,
    ),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    announce(status, 'Recording…');
    const change: ConsentChange = {
      purpose: purpose.value,
      status: decision.value === 'DENIED' ? 'DENIED' : 'GRANTED',
      channel: channel.value.trim() || null,
    };
    void options.record(change).then((error) => {
      // On success the page is re-rendered from the next read; this form is gone.
      if (error === undefined) return;
      submit.disabled = false;
      announce(status, error, 'error');
    });
  });
  return form;
}
