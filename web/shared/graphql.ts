import { credentialHeaders } from './credential.js';
import type { Credential } from './credential.js';

/** An entry of `extensions.privacy.fields` (docs/privacy.md, `extensions.privacy`). */
export interface PrivacyFieldDecision {
  readonly path: string;
  readonly piiClass: string;
  readonly decision: 'deny' | 'mask' | 'hash';
  readonly reason: string;
}

export interface GraphQLErrorShape {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: {
    readonly code?: string;
    readonly source?: string;
    readonly reason?: string;
    readonly piiClass?: string;
    readonly [key: string]: unknown;
  };
}

export interface GraphQLBody<T> {
  readonly data?: T | null;
  readonly errors?: readonly GraphQLErrorShape[];
  readonly extensions?: {
    readonly privacy?: { readonly purpose: string | null; readonly fields: readonly PrivacyFieldDecision[] };
    readonly [key: string]: unknown;
  };
}

export type GraphQLOutcome<T> =
  | { readonly kind: 'answered'; readonly status: number; readonly body: GraphQLBody<T> }
  | { readonly kind: 'unreachable' };

export interface GraphQLRequest {
  readonly operationName: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
}

/**
 * POST /graphql exactly as any client would: the same headers, so the same
 * authentication, purpose, consent, scope and audit rules apply. Variables
 * travel in the body, never in the URL.
 */
export async function postGraphQL<T>(
  request: GraphQLRequest,
  credential: Credential | undefined,
  purpose: string | null,
): Promise<GraphQLOutcome<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...credentialHeaders(credential) };
  if (purpose) headers['x-c360-purpose'] = purpose;
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers,
      body: JSON.stringify(request),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    return { kind: 'unreachable' };
  }
  try {
    return { kind: 'answered', status: response.status, body: (await response.json()) as GraphQLBody<T> };
  } catch {
    return { kind: 'answered', status: response.status, body: { errors: [{ message: `The gateway answered HTTP ${response.status} without a GraphQL body.` }] } };
  }
}
