import { h } from '../dom.js';
import type { FieldNotes } from '../privacy.js';
import { consentsCard } from './consents.js';
import type { ConsentCardOptions } from './consents.js';
import { personalWhen } from './fields.js';
import { crmCard, identitiesCard, loyaltyCard, profileCard, segmentsCard, traitsCard } from './sections.js';
import type { CustomerView } from './sections.js';
import { timelineCard } from './timeline.js';
import type { NextPage } from './timeline.js';

export interface CustomerPageOptions {
  readonly purposeLabel: string;
  readonly consent: ConsentCardOptions;
  readonly nextEvents: NextPage;
}

/** The customer page: who, what is partial or withheld and why, then one card per part of the record. */
export function customerPage(view: CustomerView, options: CustomerPageOptions): HTMLElement {
  return h(
    'article',
    { class: 'customer', 'aria-labelledby': 'customer-heading', 'data-customer-id': view.customer.id },
    h(
      'header',
      { class: 'customer-header' },
      h('h2', { id: 'customer-heading', tabindex: -1 }, displayName(view)),
      h(
        'p',
        { class: 'muted' },
        'Customer id ',
        h('code', { 'data-field': 'id' }, view.customer.id),
        ' · created ',
        personalWhen(view.customer.createdAt, 'createdAt', view.notes),
        ' · updated ',
        personalWhen(view.customer.updatedAt, 'updatedAt', view.notes),
      ),
    ),
    partialNotice(view),
    privacySummary(view.notes, options.purposeLabel),
    h(
      'div',
      { class: 'cards' },
      profileCard(view),
      traitsCard(view),
      identitiesCard(view),
      consentsCard(view, options.consent),
      segmentsCard(view),
      loyaltyCard(view),
      crmCard(view),
      timelineCard(view, options.nextEvents),
    ),
  );
}

/** The name when released; otherwise a heading that says it is withheld rather than blank. */
function displayName(view: CustomerView): string {
  const released = (field: 'firstName' | 'lastName') => (view.notes.at(`profile.${field}`) ? null : view.customer.profile?.[field]);
  const name = [released('firstName'), released('lastName')].filter(Boolean).join(' ');
  return name || 'Customer (name withheld or not on record)';
}

function partialNotice(view: CustomerView): HTMLElement | null {
  if (view.failures.length === 0) return null;
  const sources = [...new Set(view.failures.map((failure) => failure.source))];
  return h(
    'div',
    { class: 'notice notice-partial', id: 'partial-notice', role: 'alert', 'data-failed-sources': sources.join(' ') },
    h('strong', {}, 'Partial result. '),
    `The ${sources.join(', ')} source${sources.length > 1 ? 's' : ''} did not answer, so ${sources.length > 1 ? 'their parts are' : 'its part is'} missing below; everything else on this page is complete.`,
  );
}

function privacySummary(notes: FieldNotes, purposeLabel: string): HTMLElement | null {
  if (notes.size === 0) return null;
  return h(
    'p',
    { class: 'notice notice-privacy', id: 'privacy-notice' },
    `For the purpose “${purposeLabel}”, the gateway withheld or transformed ${notes.size} field${notes.size === 1 ? '' : 's'}; each is marked below with its reason.`,
  );
}
