import type { Omission } from '../api.js';
import type { CustomerData } from '../customerQuery.js';
import { h } from '../dom.js';
import type { GraphQLErrorShape } from '../../shared/graphql.js';
import { sectionErrors } from '../privacy.js';
import type { FieldNotes, SourceFailure } from '../privacy.js';
import { card, dataTable, details, note, personal, plain, when } from './fields.js';

/** The parts of one customer response every card reads. */
export interface CustomerView {
  readonly customer: CustomerData;
  readonly notes: FieldNotes;
  readonly failures: readonly SourceFailure[];
  readonly omitted: ReadonlyMap<string, Omission>;
  readonly errors: readonly GraphQLErrorShape[];
}

export function omissionNote(omission: Omission): HTMLElement {
  return omission.kind === 'scope'
    ? note(`Not shown: this key lacks the ${omission.scope} scope.`)
    : note(`Not shown: the gateway refused it (${omission.message})`, 'warning');
}

/** The card's body when the section was left out, its source failed or the gateway refused it; undefined to render the data. */
export function unavailable(view: CustomerView, section: string): HTMLElement | undefined {
  const omission = view.omitted.get(section);
  if (omission) return omissionNote(omission);
  const failure = view.failures.find((f) => f.section === section);
  if (failure) {
    return h(
      'p',
      { class: 'note note-warning', 'data-source-failed': failure.source },
      `Unavailable: the ${failure.source} source did not answer (${failure.code}). The rest of the page is shown without it.`,
    );
  }
  const refusal = sectionErrors(view.errors, section)[0];
  if (refusal) return note(`Not shown: ${refusal.message}`, 'warning');
  return undefined;
}

export function profileCard(view: CustomerView): HTMLElement {
  const profile = view.customer.profile;
  const notes = view.notes;
  const body =
    unavailable(view, 'profile') ??
    (profile
      ? details([
          ['First name', personal(profile.firstName, 'profile.firstName', notes)],
          ['Last name', personal(profile.lastName, 'profile.lastName', notes)],
          ['Email', personal(profile.email, 'profile.email', notes)],
          ['Phone', personal(profile.phone, 'profile.phone', notes)],
          ['Birth date', personal(profile.birthDate, 'profile.birthDate', notes)],
          ['Address', address(view)],
        ])
      : note('No profile is on record.'));
  return card('profile', 'Profile', body);
}

/** The address is one personal field (class LOCATION): one decision, one mark. */
function address(view: CustomerView): HTMLElement {
  return personal(view.customer.profile?.address, 'profile.address', view.notes, (value) => {
    const parts = value as Record<string, string | null>;
    return ['line1', 'city', 'postalCode', 'country'].flatMap((part) => (parts[part] ? [parts[part]] : [])).join(', ');
  });
}

export function identitiesCard(view: CustomerView): HTMLElement {
  const identities = view.customer.identities ?? [];
  const body =
    unavailable(view, 'identities') ??
    (identities.length === 0
      ? note('No identifiers are linked.')
      : dataTable(
          'Identifiers linked to this customer',
          ['Type', 'Value', 'Source', 'First seen', 'Last seen'],
          identities.map((identity, index) => [
            identity.type,
            personal(identity.value, `identities.${index}.value`, view.notes),
            identity.source,
            when(identity.firstSeenAt),
            when(identity.lastSeenAt),
          ]),
        ));
  return card('identities', 'Identities', body);
}

export function traitsCard(view: CustomerView): HTMLElement {
  const traits = view.customer.traits;
  const body =
    unavailable(view, 'traits') ??
    (traits
      ? details([
          ['Lifetime value', personal(traits.lifetimeValue, 'traits.lifetimeValue', view.notes, (v) => Number(v).toFixed(2))],
          ['Orders', plain(traits.orderCount, 'traits.orderCount')],
          ['First seen', when(traits.firstSeenAt, 'traits.firstSeenAt')],
          ['Last seen', when(traits.lastSeenAt, 'traits.lastSeenAt')],
        ])
      : note('No traits are computed yet.'));
  return card('traits', 'Traits', body);
}

export function segmentsCard(view: CustomerView): HTMLElement {
  const segments = view.customer.segments ?? [];
  const body =
    unavailable(view, 'segments') ??
    (segments.length === 0
      ? note('Not a member of any segment.')
      : h(
          'ul',
          { class: 'segments' },
          segments.map((membership) =>
            h(
              'li',
              { 'data-segment-id': membership.segment.id },
              h('strong', {}, membership.segment.name),
              ' since ',
              when(membership.since),
              membership.segment.description ? h('span', { class: 'muted' }, ` — ${membership.segment.description}`) : null,
            ),
          ),
        ));
  return card('segments', 'Segments', body);
}

export function loyaltyCard(view: CustomerView): HTMLElement {
  const loyalty = view.customer.loyalty;
  const body =
    unavailable(view, 'loyalty') ??
    (loyalty
      ? details([
          ['Member id', personal(loyalty.memberId, 'loyalty.memberId', view.notes)],
          ['Tier', plain(loyalty.tier, 'loyalty.tier')],
          ['Points balance', plain(loyalty.pointsBalance.toLocaleString('en'), 'loyalty.pointsBalance')],
          ['Lifetime points', plain(loyalty.lifetimePoints.toLocaleString('en'), 'loyalty.lifetimePoints')],
          ['Tier expires', when(loyalty.tierExpiresAt, 'loyalty.tierExpiresAt')],
        ])
      : note('Not a loyalty member.'));
  return card('loyalty', 'Loyalty', body);
}

export function crmCard(view: CustomerView): HTMLElement {
  const crm = view.customer.crm;
  const body =
    unavailable(view, 'crm') ??
    (crm
      ? [
          details([
            ['CRM id', personal(crm.crmId, 'crm.crmId', view.notes)],
            ['Account manager', plain(crm.accountManager, 'crm.accountManager')],
          ]),
          h('h4', {}, `Open cases (${crm.openCases.length})`),
          crm.openCases.length === 0
            ? note('No open cases.')
            : dataTable(
                'Open support cases',
                ['Case', 'Subject', 'Status', 'Opened'],
                crm.openCases.map((supportCase) => [supportCase.id, supportCase.subject, supportCase.status, when(supportCase.openedAt)]),
              ),
        ]
      : note('The CRM has no contact for this customer.'));
  return card('crm', 'CRM', body);
}
