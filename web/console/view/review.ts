import { h } from '../dom.js';
import type { Child } from '../dom.js';
import type { FieldNotes } from '../privacy.js';
import type { ComparedCustomer, SuggestionEvidence, SuggestionItem } from '../reviewApi.js';
import { dataTable, personal, plain, when } from './fields.js';

/** Words for the matcher's attributes and comparison levels (docs/identity-resolution.md, "Comparison levels"). */
const ATTRIBUTE_LABEL: Record<string, string> = {
  firstName: 'First name',
  lastName: 'Last name',
  birthDate: 'Date of birth',
  email: 'Email',
  phone: 'Phone',
  streetNumber: 'House number',
  street: 'Street',
  locality: 'Locality',
  city: 'City',
  postcode: 'Postcode',
  state: 'State',
  nationalId: 'National id',
};

const LEVEL_LABEL: Record<string, string> = {
  missing: 'missing on one side',
  exact: 'exact',
  oneEdit: 'one edit apart',
  twoEdits: 'two edits apart',
  jaroWinkler92: 'very close (Jaro–Winkler ≥ 0.92)',
  jaroWinkler80: 'close (Jaro–Winkler ≥ 0.80)',
  phonetic: 'sounds alike',
  swapped: 'first and last name swapped',
  sameLocalPart: 'same name before @',
  dayMonthSwapped: 'day and month swapped',
  oneFieldOff: 'one of day, month, year differs',
  withinFiveYears: 'within five years',
  different: 'different',
  exact_unverified: 'same identifier, not verified',
  withheld: 'withheld for this purpose',
};

const PROFILE_ATTRIBUTES = ['firstName', 'lastName', 'birthDate', 'email', 'phone', 'city', 'postcode'] as const;

/** Where each attribute is on the profile (`profile.address.line1` holds house number and street). */
const PROFILE_PATH: Record<string, string> = {
  firstName: 'profile.firstName',
  lastName: 'profile.lastName',
  birthDate: 'profile.birthDate',
  email: 'profile.email',
  phone: 'profile.phone',
  streetNumber: 'profile.address.line1',
  street: 'profile.address.line1',
  city: 'profile.address.city',
  postcode: 'profile.address.postalCode',
};

export function probabilityText(probability: number | null): string {
  if (probability === null) return 'not released';
  if (probability < 0.99) return `${(probability * 100).toFixed(1)} %`;
  const text = (probability * 100).toFixed(3);
  return text === '100.000' && probability < 1 ? '> 99.999 %' : `${text} %`;
}

/** The queue: one row per open suggestion, each with a button that opens it. */
export function suggestionQueue(suggestions: readonly SuggestionItem[], open: (suggestion: SuggestionItem) => void): HTMLElement {
  if (suggestions.length === 0) return h('p', { class: 'note', id: 'review-empty' }, 'No open merge suggestions.');
  return dataTable(
    'Open merge suggestions',
    ['Probability', 'Origin', 'Suggested', 'Strongest evidence', ''],
    suggestions.map((suggestion) => [
      h('span', { 'data-suggestion-probability': suggestion.id }, probabilityText(suggestion.probability)),
      plain(suggestion.origin === 'MATCH' ? 'matcher' : suggestion.origin === 'UNVERIFIED_MERGE' ? 'unverified identifier' : suggestion.origin),
      when(suggestion.createdAt),
      strongest(suggestion.evidence),
      h('button', { type: 'button', 'data-review': suggestion.id, 'aria-label': `Review suggestion ${suggestion.id}`, onclick: () => open(suggestion) }, 'Review'),
    ]),
  );
}

function strongest(evidence: readonly SuggestionEvidence[] | null): Child {
  if (!evidence) return h('span', { class: 'absent' }, 'Withheld for this purpose');
  const top = [...evidence].filter((e) => (e.weight ?? 0) > 0 || e.weight === null).sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0)).slice(0, 3);
  return top.map((e) => `${ATTRIBUTE_LABEL[e.attribute] ?? e.attribute} ${LEVEL_LABEL[e.level] ?? e.level}`).join(' · ') || '—';
}

export interface ReviewActions {
  /** false: the key lacks identity:write; undefined: the gateway decides on submit. */
  readonly mayDecide: boolean | undefined;
  accept(): Promise<string | undefined>;
  reject(reason: string): Promise<string | undefined>;
}

/**
 * One suggestion side by side: per attribute the two customers' values (as
 * the purpose releases them), how they compared and the weight the model
 * gave, drawn as a bar (right of the axis for one person, left for two).
 */
export function suggestionReview(suggestion: SuggestionItem, customers: ReadonlyArray<ComparedCustomer | null>, notes: FieldNotes, actions: ReviewActions): HTMLElement {
  // Withheld evidence still leaves the two profiles to compare, each value as the purpose releases it.
  const evidence = suggestion.evidence ?? PROFILE_ATTRIBUTES.map((attribute) => ({ attribute, level: 'withheld', weight: null }));
  const scale = Math.max(1, ...evidence.map((e) => Math.abs(e.weight ?? 0)));
  const rows = evidence.map((e) => [
    h('th', { scope: 'row' }, ATTRIBUTE_LABEL[e.attribute] ?? e.attribute),
    ...[0, 1].map((side) => h('td', {}, valueOf(customers[side] ?? null, side, e.attribute, notes))),
    h('td', { 'data-level': e.attribute }, LEVEL_LABEL[e.level] ?? e.level),
    h('td', { class: 'weight-cell' }, weightBar(e, scale)),
  ]);
  const [a, b] = customers;
  return h(
    'section',
    { class: 'card review', id: 'review-detail', 'aria-labelledby': 'review-heading', 'data-suggestion-id': suggestion.id },
    h('h3', { id: 'review-heading', tabindex: -1 }, `Suggestion: probability ${probabilityText(suggestion.probability)}`),
    suggestion.evidence === null ? h('p', { class: 'note note-warning' }, 'The evidence is withheld for this purpose: it is about both customers, so it needs what releases both.') : null,
    h(
      'div',
      { class: 'table-wrap', role: 'region', 'aria-label': 'The two customers compared', tabindex: 0 },
      h(
        'table',
        { class: 'comparison' },
        h('caption', { class: 'visually-hidden' }, 'Each attribute of the two customers, how it compared and its weight'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Attribute'),
            h('th', { scope: 'col' }, 'Customer ', h('code', {}, a?.id ?? suggestion.customerIds[0] ?? '?')),
            h('th', { scope: 'col' }, 'Customer ', h('code', {}, b?.id ?? suggestion.customerIds[1] ?? '?')),
            h('th', { scope: 'col' }, 'Comparison'),
            h('th', { scope: 'col' }, 'Weight (bits)'),
          ),
        ),
        h('tbody', {}, rows.map((cells) => h('tr', {}, cells))),
      ),
    ),
    h('p', { class: 'hint' }, 'Each bit of weight doubles the odds that the two are one person (bars to the right) or halves them (to the left); a missing value weighs nothing.'),
    decisionForm(actions),
  );
}

function valueOf(customer: ComparedCustomer | null, side: number, attribute: string, notes: FieldNotes): HTMLElement {
  const path = PROFILE_PATH[attribute];
  if (!customer || !path) return h('span', { class: 'absent', 'data-compare': `${side}.${attribute}` }, 'Not kept on the profile');
  const value = path.split('.').reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), customer);
  const shown = personal(value, `${side}.${path}`, notes);
  shown.setAttribute('data-compare', `${side}.${attribute}`);
  return shown;
}

function weightBar(evidence: SuggestionEvidence, scale: number): HTMLElement {
  if (evidence.weight === null) return h('span', { class: 'absent', 'data-weight': evidence.attribute }, evidence.level === 'withheld' ? 'withheld' : 'no weight');
  const weight = evidence.weight;
  const bar = h('span', { class: `bar ${weight >= 0 ? 'bar-for' : 'bar-against'}` });
  // CSSOM, not a style attribute: the console's CSP allows no inline styles.
  bar.style.setProperty('--share', `${(Math.abs(weight) / scale) * 50}%`);
  return h(
    'span',
    { class: 'weight', 'data-weight': evidence.attribute, 'data-value': weight },
    h('span', { class: 'bar-track', 'aria-hidden': 'true' }, bar),
    h('span', { class: 'weight-number' }, `${weight > 0 ? '+' : ''}${weight.toFixed(2)}`),
  );
}

function decisionForm(actions: ReviewActions): HTMLElement {
  const status = h('p', { class: 'status-line', id: 'review-status', role: 'status', 'aria-live': 'polite' });
  if (actions.mayDecide === false) {
    return h('div', { class: 'decision' }, h('p', { class: 'note' }, 'Deciding needs the scope identity:write, which this key does not have.'), status);
  }
  const reason = h('input', { id: 'reject-reason', name: 'reason', type: 'text', maxlength: 500, autocomplete: 'off', 'aria-describedby': 'reject-hint' });
  const acceptButton = h('button', { type: 'button', id: 'accept-suggestion' }, 'Accept: merge the two');
  const rejectButton = h('button', { type: 'submit', id: 'reject-suggestion' }, 'Reject');
  const busy = (on: boolean) => {
    acceptButton.disabled = on;
    rejectButton.disabled = on;
  };
  const show = (message: string | undefined) => {
    busy(false);
    if (message) {
      status.textContent = message;
      status.dataset.tone = 'error';
    }
  };
  acceptButton.addEventListener('click', () => {
    busy(true);
    status.textContent = 'Merging…';
    void actions.accept().then(show);
  });
  const form = h(
    'form',
    { class: 'decision', method: 'post', autocomplete: 'off' },
    acceptButton,
    h('div', { class: 'field grow' }, h('label', { for: 'reject-reason' }, 'Reason to reject'), reason),
    rejectButton,
    h('p', { id: 'reject-hint', class: 'hint' }, 'A rejected pair is kept apart for good and never suggested again. The reason is kept with the suggestion, not on either customer’s record.'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = reason.value.trim();
    if (!text) {
      status.textContent = 'Give a reason to reject.';
      status.dataset.tone = 'error';
      reason.focus();
      return;
    }
    busy(true);
    status.textContent = 'Rejecting…';
    void actions.reject(text).then(show);
  });
  return form;
}
