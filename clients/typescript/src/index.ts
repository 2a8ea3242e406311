import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import persistedDocuments from './generated/persisted-documents.json' with { type: 'json' };
import type { Purpose } from './generated/graphql.js';

/**
 * A typed client for the c360 gateway. The operations are the `.graphql`
 * files in operations/; GraphQL Code Generator's client preset turns each
 * into a typed document (`MeDocument`, `PartnerCustomersDocument`, …) whose
 * result and variables types follow the schema contract (schema.graphql).
 * The same files are the gateway's trusted documents, so a request sends
 * the document's hash alone, which a key limited to trusted documents may
 * run too; a gateway that does not know the hash gets the text as well.
 *
 *   const c360 = createC360Client({ url, apiKey, purpose: 'marketing' });
 *   const { data, errors } = await c360.request(PartnerCustomersDocument, { ids });
 *
 * Field errors do not throw: `data` keeps every field that was answered and
 * `errors` says, by `extensions.code`, why the others are null.
 */
export * from './generated/graphql.js';

/** Every `extensions.code` the gateway answers with (docs/errors.md): the contract's, then Apollo Server's for malformed requests. */
export const C360_ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'PURPOSE_REQUIRED',
  'PURPOSE_NOT_ALLOWED',
  'PII_ACCESS_DENIED',
  'SOURCE_UNAVAILABLE',
  'SOURCE_TIMEOUT',
  'BAD_USER_INPUT',
  'RATE_LIMITED',
  'QUERY_TOO_COMPLEX',
  'OVERLOADED',
  'SUPPRESSED',
  'IDEMPOTENCY_KEY_REUSED',
  'SHUTTING_DOWN',
  'INTERNAL_SERVER_ERROR',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
] as const;

export type C360ErrorCode = (typeof C360_ERROR_CODES)[number];

/** What PII_ACCESS_DENIED says about a withheld field. */
export type WithheldReason = 'PURPOSE_REQUIRED' | 'POLICY_DENIES' | 'CONSENT_NOT_GRANTED' | 'NOT_OWN_RECORD' | 'AUDIT_UNAVAILABLE';

export interface C360Error {
  readonly message: string;
  readonly path?: ReadonlyArray<string | number>;
  readonly locations?: ReadonlyArray<{ readonly line: number; readonly column: number }>;
  readonly extensions: {
    readonly code: C360ErrorCode;
    /** SOURCE_UNAVAILABLE, SOURCE_TIMEOUT: which source (singleview, crm, loyalty, resolution). */
    readonly source?: string;
    /** PII_ACCESS_DENIED: why the field was withheld; other codes: a finer reason. */
    readonly reason?: WithheldReason | (string & {});
    /** PII_ACCESS_DENIED: the field's class. */
    readonly piiClass?: string;
    /** BAD_USER_INPUT and others: the argument, input field, variable or header to fix. */
    readonly field?: string;
    /** RATE_LIMITED: seconds to wait. */
    readonly retryAfter?: number;
    readonly [key: string]: unknown;
  };
}

/** One field the privacy layer did not release as it is (`extensions.privacy.fields`). */
export interface PrivacyDecision {
  readonly path: string;
  readonly piiClass: string;
  readonly decision: 'mask' | 'hash' | 'deny';
  readonly reason: string;
}

export interface C360Result<TData> {
  /** The answer, partial where `errors` says so; null when the request was refused as a whole. */
  readonly data: TData | null;
  /** Empty when everything was answered. */
  readonly errors: readonly C360Error[];
  readonly extensions: {
    readonly traceId?: string;
    readonly privacy?: { readonly purpose: Purpose; readonly fields: readonly PrivacyDecision[] };
    readonly [key: string]: unknown;
  };
  /** The HTTP status: 200 whenever the request ran, even with field errors. */
  readonly status: number;
  /** From `Retry-After` (429 RATE_LIMITED, 503 OVERLOADED or SHUTTING_DOWN): seconds before trying again. */
  readonly retryAfterSeconds?: number;
}

/** An answer that is not a GraphQL response (a proxy's error page, say). */
export class C360HttpError extends Error {
  override readonly name = 'C360HttpError';
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`The gateway answered HTTP ${status} without a GraphQL response.`);
  }
}

export interface C360ClientOptions {
  /** The gateway's GraphQL endpoint, e.g. https://c360.example.com/graphql. */
  readonly url: string;
  /** A partner's or service's API key (`x-api-key`). */
  readonly apiKey?: string;
  /** An end-user or agent token, or a function that returns the current one (`authorization: Bearer`). */
  readonly token?: string | (() => string | Promise<string>);
  /** The purpose of every request (`x-c360-purpose`); lower case, as the header takes it. */
  readonly purpose?: Lowercase<Purpose>;
  /** Another fetch (tests, a platform's own); the global one by default. */
  readonly fetch?: typeof fetch;
}

type VariablesArgument<TVariables> = Record<string, never> extends TVariables ? [variables?: TVariables] : [variables: TVariables];

export interface C360Client {
  request<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, ...variables: VariablesArgument<TVariables>): Promise<C360Result<TData>>;
}

interface Meta {
  readonly __meta__?: { readonly hash?: string };
}

const DOCUMENTS: Readonly<Record<string, string>> = persistedDocuments;

/** The SHA-256 (hex) a generated document is sent by: its key in the gateway's trusted-documents manifest. */
export function documentHash(document: object): string | undefined {
  return (document as Meta).__meta__?.hash?.replace(/^sha256:/, '');
}

/** The exact text of a generated document, as the manifest holds it. */
export function documentText(document: object): string | undefined {
  const prefixed = (document as Meta).__meta__?.hash;
  return prefixed === undefined ? undefined : DOCUMENTS[prefixed];
}

export function createC360Client(options: C360ClientOptions): C360Client {
  if ((options.apiKey === undefined) === (options.token === undefined)) throw new Error('createC360Client: give exactly one of apiKey and token');
  const send = options.fetch ?? fetch;

  async function headers(): Promise<Record<string, string>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
    else headers.authorization = `Bearer ${typeof options.token === 'function' ? await options.token() : options.token!}`;
    if (options.purpose) headers['x-c360-purpose'] = options.purpose;
    return headers;
  }

  async function post<TData>(body: Record<string, unknown>): Promise<C360Result<TData>> {
    const response = await send(options.url, { method: 'POST', headers: await headers(), body: JSON.stringify(body) });
    const text = await response.text();
    let parsed: { data?: TData | null; errors?: C360Error[]; extensions?: C360Result<TData>['extensions'] };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new C360HttpError(response.status, text);
    }
    if (typeof parsed !== 'object' || parsed === null || (!('data' in parsed) && !('errors' in parsed))) throw new C360HttpError(response.status, text);
    const retryAfter = Number(response.headers.get('retry-after'));
    return {
      data: parsed.data ?? null,
      errors: parsed.errors ?? [],
      extensions: parsed.extensions ?? {},
      status: response.status,
      ...(Number.isFinite(retryAfter) && response.headers.has('retry-after') ? { retryAfterSeconds: retryAfter } : {}),
    };
  }

  return {
    async request<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, ...[variables]: VariablesArgument<TVariables>) {
      const hash = documentHash(document);
      const text = documentText(document) ?? print(document);
      const base = { variables: variables ?? {} };
      if (hash === undefined) return post<TData>({ ...base, query: text });
      // The hash alone first: the gateway knows its trusted documents.
      const persisted = { persistedQuery: { version: 1, sha256Hash: hash } };
      const first = await post<TData>({ ...base, extensions: persisted });
      if (!first.errors.some((error) => error.extensions.code === 'PERSISTED_QUERY_NOT_FOUND')) return first;
      return post<TData>({ ...base, query: text, extensions: persisted });
    },
  };
}
