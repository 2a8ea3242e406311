/**
 * The console's reads. One query per customer page, built from sections so
 * that a section the schema lacks (a gateway without `consentHistory`) or
 * the key may not read (no `events:read`) can be left out and the rest
 * still shown: the gateway decides, the console adapts.
 */
export const SECTIONS = ['profile', 'identities', 'consents', 'consentHistory', 'segments', 'loyalty', 'crm', 'traits', 'events'] as const;
export type Section = (typeof SECTIONS)[number];

/** The scope each section needs beyond customer:read (the scope table of the privacy issue). */
export const SECTION_SCOPE: Partial<Record<Section, string>> = {
  consents: 'consent:read',
  consentHistory: 'consent:read',
  segments: 'segments:read',
  events: 'events:read',
};

export const EVENTS_PAGE_SIZE = 10;
export const HISTORY_SIZE = 20;

const EVENT_PAGE = 'edges { cursor node { id type occurredAt channel source properties } } pageInfo { hasNextPage endCursor }';

const SECTION_SELECTION: Record<Section, string> = {
  profile: 'profile { firstName lastName email phone birthDate address { line1 city postalCode country } }',
  identities: 'identities { type value source firstSeenAt lastSeenAt }',
  consents: 'consents { purpose status channel updatedAt source }',
  consentHistory: `consentHistory(first: ${HISTORY_SIZE}) { purpose status channel source at note }`,
  segments: 'segments { segment { id name description } since }',
  loyalty: 'loyalty { memberId tier pointsBalance lifetimePoints tierExpiresAt }',
  crm: 'crm { crmId accountManager openCases { id subject status openedAt } }',
  traits: 'traits { lifetimeValue orderCount firstSeenAt lastSeenAt }',
  // Newest first: an agent asks about what just happened.
  events: `events(first: $eventsFirst, order: NEWEST_FIRST) { ${EVENT_PAGE} }`,
};

export type CustomerLookup =
  | { readonly by: 'id'; readonly id: string }
  | { readonly by: 'identity'; readonly type: string; readonly value: string };

export interface BuiltQuery {
  readonly operationName: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
}

/** The response key is always `customer`, so privacy paths read `customer.profile.email` either way. */
export function customerQuery(lookup: CustomerLookup, sections: readonly Section[]): BuiltQuery {
  const withEvents = sections.includes('events');
  const selection = ['id createdAt updatedAt', ...sections.map((section) => SECTION_SELECTION[section])].join('\n    ');
  const eventsVariable = withEvents ? ', $eventsFirst: Int!' : '';
  const variables: Record<string, unknown> = withEvents ? { eventsFirst: EVENTS_PAGE_SIZE } : {};
  if (lookup.by === 'id') {
    return {
      operationName: 'ConsoleCustomer',
      query: `query ConsoleCustomer($id: ID!${eventsVariable}) {\n  customer(id: $id) {\n    ${selection}\n  }\n}`,
      variables: { ...variables, id: lookup.id },
    };
  }
  return {
    operationName: 'ConsoleFindCustomer',
    query: `query ConsoleFindCustomer($type: IdentityType!, $value: String!${eventsVariable}) {\n  customer: customerByIdentity(type: $type, value: $value) {\n    ${selection}\n  }\n}`,
    variables: { ...variables, type: lookup.type, value: lookup.value },
  };
}

export function eventsPageQuery(customerId: string, after: string): BuiltQuery {
  return {
    operationName: 'ConsoleEvents',
    query: `query ConsoleEvents($id: ID!, $first: Int!, $after: String) {\n  customer(id: $id) {\n    id\n    events(first: $first, after: $after, order: NEWEST_FIRST) { ${EVENT_PAGE} }\n  }\n}`,
    variables: { id: customerId, first: EVENTS_PAGE_SIZE, after },
  };
}

export const VIEWER_QUERY: BuiltQuery = {
  operationName: 'ConsoleViewer',
  query: 'query ConsoleViewer {\n  viewer { id name kind scopes purposes }\n}',
  variables: {},
};

/** Any query the gateway can answer, to check a credential when it has no `viewer`. */
export const PING_QUERY: BuiltQuery = { operationName: 'ConsolePing', query: 'query ConsolePing { __typename }', variables: {} };

export function setConsentMutation(input: SetConsentInput): BuiltQuery {
  return {
    operationName: 'ConsoleSetConsent',
    query: 'mutation ConsoleSetConsent($input: SetConsentInput!) {\n  setConsent(input: $input) { purpose status channel updatedAt source }\n}',
    variables: { input },
  };
}

export interface SetConsentInput {
  readonly customerId: string;
  readonly purpose: string;
  readonly status: 'GRANTED' | 'DENIED';
  readonly channel: string | null;
  readonly source: string;
}

// The shapes the console reads; every personal field, and every part of the customer, may be null (withheld).
export interface EventNode {
  readonly id: string;
  readonly type: string | null;
  readonly occurredAt: string | null;
  readonly channel: string | null;
  readonly source: string | null;
  readonly properties: Readonly<Record<string, unknown>> | null;
}
export interface EventPage {
  readonly edges: readonly { readonly cursor: string; readonly node: EventNode }[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
}
export interface Address {
  readonly line1: string | null;
  readonly city: string | null;
  readonly postalCode: string | null;
  readonly country: string | null;
}
export interface CustomerData {
  readonly id: string;
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
  readonly profile?: {
    readonly firstName: string | null;
    readonly lastName: string | null;
    readonly email: string | null;
    readonly phone: string | null;
    readonly birthDate: string | null;
    readonly address: Address | null;
  } | null;
  readonly identities?: readonly { readonly type: string; readonly value: string | null; readonly source: string | null; readonly firstSeenAt: string | null; readonly lastSeenAt: string | null }[] | null;
  readonly consents?: readonly { readonly purpose: string; readonly status: string | null; readonly channel: string | null; readonly updatedAt: string | null; readonly source: string | null }[] | null;
  readonly consentHistory?: readonly { readonly purpose: string; readonly status: string | null; readonly channel: string | null; readonly source: string | null; readonly at: string | null; readonly note: string | null }[] | null;
  readonly segments?: readonly { readonly segment: { readonly id: string; readonly name: string; readonly description: string | null }; readonly since: string | null }[] | null;
  readonly loyalty?: { readonly memberId: string | null; readonly tier: string | null; readonly pointsBalance: number | null; readonly lifetimePoints: number | null; readonly tierExpiresAt: string | null } | null;
  readonly crm?: {
    readonly crmId: string | null;
    readonly accountManager: string | null;
    readonly openCases: readonly { readonly id: string | null; readonly subject: string | null; readonly status: string | null; readonly openedAt: string | null }[] | null;
  } | null;
  readonly traits?: { readonly lifetimeValue: number | null; readonly orderCount: number | null; readonly firstSeenAt: string | null; readonly lastSeenAt: string | null } | null;
  readonly events?: EventPage | null;
}
