import { postGraphQL } from '../shared/graphql.js';
import type { GraphQLBody, GraphQLErrorShape } from '../shared/graphql.js';
import { purposeHeader } from '../shared/purposes.js';
import type { ConsoleSession } from './api.js';
import type { BuiltQuery } from './customerQuery.js';
import { FieldNotes } from './privacy.js';

/** The scopes of merge review (docs/identity-resolution.md, "Merge suggestions"): to read the queue, and to decide. */
export const REVIEW_READ_SCOPE = 'identity:read';
export const REVIEW_WRITE_SCOPE = 'identity:write';

export interface SuggestionEvidence {
  readonly attribute: string;
  readonly level: string;
  /** Bits; null when withheld, or when no model weighed it (an unverified identifier). */
  readonly weight: number | null;
}

export interface SuggestionItem {
  readonly id: string;
  readonly probability: number | null;
  readonly origin: string | null;
  readonly createdAt: string | null;
  readonly customerIds: readonly string[];
  /** null when the purpose does not release it for both customers. */
  readonly evidence: readonly SuggestionEvidence[] | null;
}

export interface ComparedCustomer {
  readonly id: string;
  readonly profile: {
    readonly firstName?: string | null;
    readonly lastName?: string | null;
    readonly email?: string | null;
    readonly phone?: string | null;
    readonly birthDate?: string | null;
    readonly address?: { readonly line1?: string | null; readonly city?: string | null; readonly postalCode?: string | null } | null;
  } | null;
}

type Failure = { readonly kind: 'failed'; readonly message: string };
const unreachable: Failure = { kind: 'failed', message: 'The gateway cannot be reached. Check that it is running and try again.' };

export function mayReview(session: ConsoleSession): boolean {
  return !session.viewer || session.viewer.scopes.includes(REVIEW_READ_SCOPE);
}

export function mayDecide(session: ConsoleSession): boolean | undefined {
  return session.viewer ? session.viewer.scopes.includes(REVIEW_WRITE_SCOPE) : undefined;
}

const LIST: BuiltQuery = {
  operationName: 'ConsoleMergeSuggestions',
  query: 'query ConsoleMergeSuggestions($first: Int!) {\n  mergeSuggestions(first: $first) { edges { node { id probability origin createdAt customerIds evidence { attribute level weight } } } }\n}',
  variables: { first: 25 },
};

export type ListResult = { readonly kind: 'list'; readonly suggestions: readonly SuggestionItem[]; readonly notes: FieldNotes } | Failure;

/** The open suggestions, newest first, with their evidence (levels and weights, never values). */
export async function loadSuggestions(session: ConsoleSession): Promise<ListResult> {
  const outcome = await postGraphQL<{ mergeSuggestions: { edges: Array<{ node: SuggestionItem }> } }>(LIST, session.credential, purposeOf(session));
  if (outcome.kind === 'unreachable') return unreachable;
  const connection = outcome.body.data?.mergeSuggestions;
  if (!connection) return failed(outcome.body.errors);
  return { kind: 'list', suggestions: connection.edges.map((edge) => edge.node), notes: FieldNotes.of(outcome.body) };
}

export type PairResult = { readonly kind: 'pair'; readonly customers: ReadonlyArray<ComparedCustomer | null>; readonly notes: FieldNotes; readonly body: GraphQLBody<unknown> } | Failure;

/** The two customers side by side, read under the session's purpose like any customer read (and audited). */
export async function loadPair(session: ConsoleSession, ids: readonly string[]): Promise<PairResult> {
  const query: BuiltQuery = {
    operationName: 'ConsoleMergePair',
    query: 'query ConsoleMergePair($ids: [ID!]!) {\n  customers(ids: $ids) { id profile { firstName lastName email phone birthDate address { line1 city postalCode } } }\n}',
    variables: { ids },
  };
  const outcome = await postGraphQL<{ customers: Array<ComparedCustomer | null> }>(query, session.credential, purposeOf(session));
  if (outcome.kind === 'unreachable') return unreachable;
  const customers = outcome.body.data?.customers;
  if (!customers) return failed(outcome.body.errors);
  return { kind: 'pair', customers, notes: FieldNotes.of(outcome.body), body: outcome.body };
}

export type DecisionResult = { readonly kind: 'decided'; readonly message: string } | Failure;

export async function acceptSuggestion(session: ConsoleSession, id: string): Promise<DecisionResult> {
  const mutation: BuiltQuery = {
    operationName: 'ConsoleAcceptMergeSuggestion',
    query: 'mutation ConsoleAcceptMergeSuggestion($id: ID!) {\n  acceptMergeSuggestion(id: $id) { suggestion { id status } customer { id } merged }\n}',
    variables: { id },
  };
  const outcome = await postGraphQL<{ acceptMergeSuggestion: { customer: { id: string }; merged: string[] } | null }>(mutation, session.credential, purposeOf(session));
  if (outcome.kind === 'unreachable') return unreachable;
  const result = outcome.body.data?.acceptMergeSuggestion;
  if (!result) return failed(outcome.body.errors);
  return { kind: 'decided', message: `Accepted: the two are now customer ${result.customer.id}. An unmerge undoes it.` };
}

export async function rejectSuggestion(session: ConsoleSession, id: string, reason: string): Promise<DecisionResult> {
  const mutation: BuiltQuery = {
    operationName: 'ConsoleRejectMergeSuggestion',
    query: 'mutation ConsoleRejectMergeSuggestion($id: ID!, $reason: String!) {\n  rejectMergeSuggestion(id: $id, reason: $reason) { id status }\n}',
    variables: { id, reason },
  };
  const outcome = await postGraphQL<{ rejectMergeSuggestion: { id: string } | null }>(mutation, session.credential, purposeOf(session));
  if (outcome.kind === 'unreachable') return unreachable;
  if (!outcome.body.data?.rejectMergeSuggestion) return failed(outcome.body.errors);
  return { kind: 'decided', message: 'Rejected: the two stay apart and are not suggested again.' };
}

function purposeOf(session: ConsoleSession): string | null {
  return session.purpose ? purposeHeader(session.purpose) : null;
}

function failed(errors: readonly GraphQLErrorShape[] | undefined): Failure {
  // Gateway messages name fields and codes, never personal values, so they can be shown.
  return { kind: 'failed', message: errors?.[0]?.message ?? 'The gateway did not answer as expected.' };
}
