import type { Credential } from '../shared/credential.js';
import { postGraphQL } from '../shared/graphql.js';
import type { GraphQLBody, GraphQLErrorShape } from '../shared/graphql.js';
import { PURPOSES, purposeHeader } from '../shared/purposes.js';
import { PING_QUERY, SECTIONS, SECTION_SCOPE, VIEWER_QUERY, customerQuery, eventsPageQuery, setConsentMutation } from './customerQuery.js';
import type { CustomerData, CustomerLookup, EventPage, Section, SetConsentInput } from './customerQuery.js';
import { FieldNotes } from './privacy.js';

/** `Query.viewer` (privacy issue): who is signed in and what they may do. */
export interface Viewer {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly scopes: readonly string[];
  readonly purposes: readonly string[];
}

/** The signed-in agent, in memory only; the credential alone is also in sessionStorage. */
export interface ConsoleSession {
  readonly credential: Credential;
  /** null when the gateway has no `viewer`: every purpose is offered and scopes are unknown. */
  readonly viewer: Viewer | null;
  purpose: string | null;
  /** Customer fields this gateway's schema lacks, learnt by asking. */
  readonly unsupported: Set<Section>;
}

export type Failure = { readonly kind: 'failed'; readonly message: string };
const unreachable: Failure = { kind: 'failed', message: 'The gateway cannot be reached. Check that it is running and try again.' };

export type SignInResult = { readonly kind: 'ok'; readonly session: ConsoleSession } | Failure;

export async function signIn(credential: Credential): Promise<SignInResult> {
  const outcome = await postGraphQL<{ viewer: Viewer }>(VIEWER_QUERY, credential, null);
  if (outcome.kind === 'unreachable') return unreachable;
  const viewer = outcome.body.data?.viewer;
  if (viewer) return { kind: 'ok', session: newSession(credential, viewer) };
  if (outcome.status !== 401 && unknownFields(outcome.body.errors, 'Query').includes('viewer')) {
    // A gateway without Query.viewer: any answer to a trivial query proves the credential.
    const ping = await postGraphQL(PING_QUERY, credential, null);
    if (ping.kind === 'unreachable') return unreachable;
    if (ping.status === 200 && !ping.body.errors) return { kind: 'ok', session: newSession(credential, null) };
    return failed(ping.body.errors);
  }
  return failed(outcome.body.errors);
}

function newSession(credential: Credential, viewer: Viewer | null): ConsoleSession {
  return { credential, viewer, purpose: allowedPurposes(viewer)[0] ?? null, unsupported: new Set() };
}

export function allowedPurposes(viewer: Viewer | null): readonly string[] {
  return viewer ? viewer.purposes : PURPOSES;
}

/** true, false, or undefined when the gateway cannot tell (no `viewer`): then the gateway decides on submit. */
export function mayWriteConsent(session: ConsoleSession): boolean | undefined {
  return session.viewer ? session.viewer.scopes.includes('consent:write') : undefined;
}

/** Why a section is not on the page. */
export type Omission = { readonly kind: 'scope'; readonly scope: string } | { readonly kind: 'forbidden'; readonly message: string };

export type CustomerResult =
  | {
      readonly kind: 'found';
      readonly customer: CustomerData;
      readonly body: GraphQLBody<{ customer: CustomerData | null }>;
      readonly notes: FieldNotes;
      readonly omitted: ReadonlyMap<Section, Omission>;
    }
  | { readonly kind: 'not-found' }
  | Failure;

/**
 * Reads one customer for the page. Sections the key's scopes do not cover
 * are left out up front; a section the schema lacks, or that the gateway
 * refuses in a way that nulls the customer, is dropped and the read retried,
 * so the agent still sees everything the gateway does release.
 */
export async function loadCustomer(session: ConsoleSession, lookup: CustomerLookup): Promise<CustomerResult> {
  const omitted = new Map<Section, Omission>();
  let sections = SECTIONS.filter((section) => !session.unsupported.has(section));
  for (const section of sections) {
    const scope = SECTION_SCOPE[section];
    if (scope && session.viewer && !session.viewer.scopes.includes(scope)) omitted.set(section, { kind: 'scope', scope });
  }
  sections = sections.filter((section) => !omitted.has(section));
  for (let attempt = 0; attempt <= SECTIONS.length; attempt++) {
    const outcome = await postGraphQL<{ customer: CustomerData | null }>(customerQuery(lookup, sections), session.credential, purposeOf(session));
    if (outcome.kind === 'unreachable') return unreachable;
    const { body } = outcome;
    const missing = unknownFields(body.errors, 'Customer').filter((field): field is Section => sections.includes(field as Section));
    if (missing.length > 0) {
      for (const section of missing) session.unsupported.add(section);
      sections = sections.filter((section) => !missing.includes(section));
      continue;
    }
    if (!body.data) return failed(body.errors);
    const customer = body.data.customer;
    if (customer) return { kind: 'found', customer, body, notes: FieldNotes.of(body), omitted };
    const refused = refusedSections(body.errors, sections);
    if (refused.length === 0) return body.errors?.length ? failed(body.errors) : { kind: 'not-found' };
    for (const { section, message } of refused) omitted.set(section, { kind: 'forbidden', message });
    sections = sections.filter((section) => !omitted.has(section));
  }
  return { kind: 'failed', message: 'The gateway refused every part of this customer.' };
}

export type EventsResult = { readonly kind: 'page'; readonly page: EventPage; readonly notes: FieldNotes } | Failure;

export async function loadEvents(session: ConsoleSession, customerId: string, after: string): Promise<EventsResult> {
  const outcome = await postGraphQL<{ customer: { events: EventPage } | null }>(eventsPageQuery(customerId, after), session.credential, purposeOf(session));
  if (outcome.kind === 'unreachable') return unreachable;
  const page = outcome.body.data?.customer?.events;
  return page ? { kind: 'page', page, notes: FieldNotes.of(outcome.body) } : failed(outcome.body.errors);
}

export type ConsentResult = { readonly kind: 'ok' } | Failure;

export async function recordConsent(session: ConsoleSession, input: SetConsentInput): Promise<ConsentResult> {
  const outcome = await postGraphQL<{ setConsent: unknown }>(setConsentMutation(input), session.credential, purposeOf(session));
  if (outcome.kind === 'unreachable') return unreachable;
  if (outcome.body.data?.setConsent) return { kind: 'ok' };
  const errors = outcome.body.errors ?? [];
  const unsupported = errors.some((error) => /not configured to execute mutation|Cannot query field "setConsent"|Unknown type "SetConsentInput"/.test(error.message));
  return unsupported ? { kind: 'failed', message: 'This gateway cannot record consent changes.' } : failed(errors);
}

/** x-c360-purpose carries the lower-case name of the Purpose value. */
function purposeOf(session: ConsoleSession): string | null {
  return session.purpose ? purposeHeader(session.purpose) : null;
}

function failed(errors: readonly GraphQLErrorShape[] | undefined): Failure {
  // Gateway messages name fields and codes, never personal values (docs/privacy.md), so they can be shown.
  return { kind: 'failed', message: errors?.[0]?.message ?? 'The gateway did not answer as expected.' };
}

/** Fields a validation error says the schema lacks on `type`. */
function unknownFields(errors: readonly GraphQLErrorShape[] | undefined, type: string): string[] {
  const pattern = new RegExp(`^Cannot query field "(\\w+)" on type "${type}"`);
  return (errors ?? []).flatMap((error) => {
    const match = pattern.exec(error.message);
    return match?.[1] ? [match[1]] : [];
  });
}

function refusedSections(errors: readonly GraphQLErrorShape[] | undefined, sections: readonly Section[]): { section: Section; message: string }[] {
  return (errors ?? []).flatMap((error) => {
    const section = error.path?.[1];
    const refusal = error.extensions?.code === 'FORBIDDEN' && typeof section === 'string' && sections.includes(section as Section);
    return refusal ? [{ section: section as Section, message: error.message }] : [];
  });
}
