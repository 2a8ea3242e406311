import type { Omission } from '../api.js';
import type { CustomerData } from '../customerQuery.js';
import { h } from '../dom.js';
import type { GraphQLErrorShape } from '../../shared/graphql.js';
import { sectionErrors } from '../privacy.js';
import type { FieldNotes, SourceFailure } from '../privacy.js';
import { card, dataTable, details, note, personal, personalWhen, withheldPart } from './fields.js';

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

/** The card's body when the section was left out, its source failed, the gateway refused it or the privacy layer withheld it; undefined to render the data. */
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
  return withheldPart(section, view.notes);
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
            personal(identity.source, `identities.${index}.source`, view.notes),
            personalWhen(identity.firstSeenAt, `identities.${index}.firstSeenAt`, view.notes),
            personalWhen(identity.lastSeenAt, `identities.${index}.lastSeenAt`, view.notes),
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
          ['Orders', personal(traits.orderCount, 'traits.orderCount', view.notes)],
          ['First seen', personalWhen(traits.firstSeenAt, 'traits.firstSeenAt', view.notes)],
          ['Last seen', personalWhen(traits.lastSeenAt, 'traits.lastSeenAt', view.notes)],
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
          segments.map((membership, index) =>
            h(
              'li',
              { 'data-segment-id': membership.segment.id },
              h('strong', {}, membership.segment.name),
              ' since ',
              personalWhen(membership.since, `segments.${index}.since`, view.notes),
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
          ['Tier', personal(loyalty.tier, 'loyalty.tier', view.notes)],
          ['Points balance', personal(loyalty.pointsBalance, 'loyalty.pointsBalance', view.notes, (v) => Number(v).toLocaleString('en'))],
          ['Lifetime points', personal(loyalty.lifetimePoints, 'loyalty.lifetimePoints', view.notes, (v) => Number(v).toLocaleString('en'))],
          ['Tier expires', personalWhen(loyalty.tierExpiresAt, 'loyalty.tierExpiresAt', view.notes)],
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
            ['Account manager', personal(crm.accountManager, 'crm.accountManager', view.notes)],
          ]),
          ...openCases(view, crm.openCases),
        ]
      : note('The CRM has no contact for this customer.'));
  return card('crm', 'CRM', body);
}

function openCases(view: CustomerView, cases: NonNullable<CustomerView['customer']['crm']>['openCases']): HTMLElement[] {
  const withheld = withheldPart('crm.openCases', view.notes);
  if (withheld || !cases) return [h('h4', {}, 'Open cases'), withheld ?? note('The open cases are not available.')];
  const at = (index: number, field: string) => `crm.openCases.${index}.${field}`;
  return [
    h('h4', {}, `Open cases (${cases.length})`),
    cases.length === 0
      ? note('No open cases.')
      : dataTable(
          'Open support cases',
          ['Case', 'Subject', 'Status', 'Opened'],
          cases.map((supportCase, index) => [
            personal(supportCase.id, at(index, 'id'), view.notes),
            personal(supportCase.subject, at(index, 'subject'), view.notes),
            personal(supportCase.status, at(index, 'status'), view.notes),
            personalWhen(supportCase.openedAt, at(index, 'openedAt'), view.notes),
          ]),
        ),
  ];
}
