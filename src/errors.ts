import { GraphQLError } from 'graphql';
import type { GraphQLFormattedError, SourceLocation } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { SourceError } from '../connectors/resilience/sourceError.js';
import { literalValueError } from './hardening/literalErrors.js';

/**
 * The error codes of the public contract (docs/errors.md), one constructor per
 * kind. Every error a client sees has `extensions.code`; source failures add
 * `extensions.source`; anything else becomes INTERNAL_SERVER_ERROR with a
 * trace id and no stack or data.
 */
export const ErrorCode = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  PURPOSE_REQUIRED: 'PURPOSE_REQUIRED',
  PURPOSE_NOT_ALLOWED: 'PURPOSE_NOT_ALLOWED',
  PII_ACCESS_DENIED: 'PII_ACCESS_DENIED',
  SOURCE_UNAVAILABLE: 'SOURCE_UNAVAILABLE',
  SOURCE_TIMEOUT: 'SOURCE_TIMEOUT',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  RATE_LIMITED: 'RATE_LIMITED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** Admission control shed the request before it started (docs/security.md, "Overload"): HTTP 503 with Retry-After. */
  OVERLOADED: 'OVERLOADED',
  /** A write named an identifier of a person who was erased (docs/erasure.md): nothing was stored. */
  SUPPRESSED: 'SUPPRESSED',
  /** A `track` idempotency key used before with a different event: nothing stored; HTTP 409 when nothing else was asked. */
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  /** The instance is draining after SIGTERM: HTTP 503, retry (another instance takes it). */
  SHUTTING_DOWN: 'SHUTTING_DOWN',
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes Apollo Server itself gives for malformed requests; passed through as they are. */
export const APOLLO_REQUEST_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);
const KNOWN_CODES = new Set<string>([...Object.values(ErrorCode), ...APOLLO_REQUEST_CODES]);
const CONTRACT_CODES = new Set<string>(Object.values(ErrorCode).filter((code) => code !== ErrorCode.INTERNAL_SERVER_ERROR));

/** An error our own code raised on purpose, with one of the contract's codes. */
export function isContractError(error: unknown): error is GraphQLError {
  return error instanceof GraphQLError && typeof error.extensions.code === 'string' && CONTRACT_CODES.has(error.extensions.code);
}

/** Input a person can fix: names the argument or field, never echoes a personal value. */
export function badUserInput(message: string, field: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.BAD_USER_INPUT, field, ...extensions } });
}

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.UNAUTHENTICATED, http: { status: 401 } } });
}

export function forbidden(message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.FORBIDDEN, ...extensions } });
}

export function purposeNotAllowed(purpose: string, allowed: readonly string[]): GraphQLError {
  const offer = allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : 'this principal may not read personal data';
  return new GraphQLError(`Purpose ${purpose} is not allowed for this principal (${offer}).`, {
    extensions: { code: ErrorCode.PURPOSE_NOT_ALLOWED, http: { status: 403 } },
  });
}

/** Why a personal field is null, in words; never the value or whose it is. */
const WITHHELD_MESSAGES: Readonly<Record<string, (purpose: string, piiClass: string) => string>> = {
  PURPOSE_REQUIRED: () => 'Personal field withheld: state a purpose in the x-c360-purpose header.',
  POLICY_DENIES: (purpose, piiClass) => `Personal field withheld: the policy does not release ${piiClass} data for purpose ${purpose}.`,
  CONSENT_NOT_GRANTED: (purpose) => `Personal field withheld: the customer has not granted consent for ${purpose}.`,
  NOT_OWN_RECORD: (purpose) => `Personal field withheld: purpose ${purpose} reaches only the caller's own record.`,
  AUDIT_UNAVAILABLE: () => 'Personal field withheld: the release could not be recorded in the audit trail.',
};

/**
 * A personal field the privacy layer withheld: null at its path, with the
 * reason and the class. An answer, not a fault, and a marketing batch holds
 * thousands: the executor wraps what a resolver throws in an error of its
 * own that carries the path, so one error per reason, class and purpose is
 * shared (never changed by anyone), built without a stack trace, whose
 * capture and source-map formatting were a fifth of the partner batch's CPU
 * (bench/README.md).
 */
export function piiAccessDenied(reason: string, piiClass: string, purpose: string | null): GraphQLError {
  // Found by three lookups rather than one of a key built per call: a batch asks hundreds of times.
  let byClass = WITHHELD_ERRORS.get(reason);
  let byPurpose = byClass?.get(piiClass);
  const known = byPurpose?.get(purpose);
  if (known) return known;
  const message = WITHHELD_MESSAGES[reason]?.(purpose ?? 'none', piiClass) ?? 'Personal field withheld.';
  const error = withoutStackTrace(() => new GraphQLError(message, { extensions: { code: ErrorCode.PII_ACCESS_DENIED, reason, piiClass } }));
  // Purposes are the policy's and reasons and classes fixed sets; the bound is only a backstop.
  if (withheldErrorsKept < 1_000) {
    if (!byClass) WITHHELD_ERRORS.set(reason, (byClass = new Map()));
    if (!byPurpose) byClass.set(piiClass, (byPurpose = new Map()));
    byPurpose.set(purpose, error);
    withheldErrorsKept++;
  }
  return error;
}

const WITHHELD_ERRORS = new Map<string, Map<string, Map<string | null, GraphQLError>>>();
let withheldErrorsKept = 0;

/**
 * A withheld value's error at its response path, as the executor would have
 * located a resolver's: made by the response walk, in bulk for a batch, so
 * without a stack trace.
 */
export function piiAccessDeniedAt(
  reason: string,
  piiClass: string,
  purpose: string | null,
  path: ReadonlyArray<string | number>,
  locations: readonly SourceLocation[] | undefined,
): GraphQLError {
  const shared = piiAccessDenied(reason, piiClass, purpose);
  // The shared error with a path and locations of its own: an instance of
  // GraphQLError whose message, extensions and (empty) stack are the shared
  // one's. GraphQLError's constructor (its defineProperties and stack
  // capture) cost about 12 µs per error, several milliseconds for a
  // marketing batch's hundreds (bench/README.md, issue 18).
  const located = Object.create(shared) as GraphQLError & { path: typeof path; locations: typeof locations };
  located.path = path;
  located.locations = locations;
  return located;
}

/** Builds an error object without capturing a stack trace: for errors that are answers, made in bulk. */
function withoutStackTrace<T>(build: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return build();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** The whole request refused because the credentials could not be checked against a failing source. */
export function sourceUnavailable(error: SourceError): GraphQLError {
  return new GraphQLError(`Credentials could not be checked: ${error.message}.`, {
    extensions: { code: sourceErrorCode(error), source: error.source, http: { status: 503 } },
  });
}

/**
 * A write refused because one of its identifiers is on the suppression list:
 * the person it identified asked to be forgotten. Names the field, never the value.
 */
export function suppressed(
  field: string,
  message = `${field} identifies a person who was erased and is on the suppression list; nothing was stored. An operator can lift the suppression (liftSuppression).`,
): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.SUPPRESSED, field } });
}

export type OperationLimitName = 'depth' | 'aliases' | 'rootFields' | 'tokens' | 'directives' | 'cost';

/**
 * An operation over one of the limits in docs/security.md, refused before
 * execution. `limit` names the limit it broke and `max` its value.
 */
export function queryTooComplex(message: string, limit: OperationLimitName, max: number, extra: Record<string, number> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: ErrorCode.QUERY_TOO_COMPLEX, limit, max, ...extra, http: { status: 400 } } });
}

export function idempotencyKeyReused(): GraphQLError {
  return new GraphQLError('input.idempotencyKey was already used with a different event; nothing was stored. Use a new key for a new event.', {
    extensions: { code: ErrorCode.IDEMPOTENCY_KEY_REUSED, field: 'input.idempotencyKey' },
  });
}

/** Over the principal's budget: HTTP 429 with Retry-After in whole seconds. */
export function rateLimited(retryAfterSeconds: number, perMinute: number): GraphQLError {
  return new GraphQLError(`Rate limit of ${perMinute} requests per minute exceeded; retry after ${retryAfterSeconds} s.`, {
    extensions: {
      code: ErrorCode.RATE_LIMITED,
      retryAfter: retryAfterSeconds,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}

/** The gateway is at its concurrent-operation limit and the wait ran out: HTTP 503 with Retry-After; nothing ran. */
export function overloaded(retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(`The gateway is busy and the request could not start in time; nothing was run. Retry after ${retryAfterSeconds} s.`, {
    extensions: {
      code: ErrorCode.OVERLOADED,
      retryAfter: retryAfterSeconds,
      http: { status: 503, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}

/** The principal's budget could not be checked (the shared store failed) and its instance's share is spent: 429 as well, never admitted unchecked. */
export function rateLimitUnchecked(retryAfterSeconds: number, perMinute: number): GraphQLError {
  return new GraphQLError(`Rate limit of ${perMinute} requests per minute could not be checked; retry after ${retryAfterSeconds} s.`, {
    extensions: {
      code: ErrorCode.RATE_LIMITED,
      retryAfter: retryAfterSeconds,
      http: { status: 429, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}

export function sourceErrorCode(error: SourceError): ErrorCode {
  return error.isTimeout ? ErrorCode.SOURCE_TIMEOUT : ErrorCode.SOURCE_UNAVAILABLE;
}

export interface ErrorFormatterOptions {
  /** Called for errors the client sees only as INTERNAL_SERVER_ERROR. */
  readonly onInternalError: (error: unknown, traceId: string | undefined) => void;
  readonly traceIdOf: (error: unknown) => string | undefined;
}

/** Apollo Server's `formatError`: maps every error onto the contract's codes. */
export function createErrorFormatter(options: ErrorFormatterOptions) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof SourceError) {
      return {
        message: original.message,
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: sourceErrorCode(original), source: original.source },
      };
    }
    // Apollo re-codes a validation rule's error as GRAPHQL_VALIDATION_FAILED;
    // a rule of ours (operation limits) keeps the contract code it raised.
    const raised = error instanceof GraphQLError ? error.originalError : undefined;
    if (formatted.extensions?.code === 'GRAPHQL_VALIDATION_FAILED' && isContractError(raised)) {
      const { http: _http, ...extensions } = raised.extensions;
      return { message: raised.message, ...(formatted.locations ? { locations: formatted.locations } : {}), extensions };
    }
    const code = formatted.extensions?.code;
    const literal = code === 'GRAPHQL_VALIDATION_FAILED' && error instanceof GraphQLError ? literalValueError(error) : undefined;
    if (literal) {
      const { expectedType } = literal;
      return { message: literal.message, ...(formatted.locations ? { locations: formatted.locations } : {}), extensions: { code, ...(expectedType ? { expectedType } : {}) } };
    }
    const passThrough = typeof code === 'string' && code !== ErrorCode.INTERNAL_SERVER_ERROR && KNOWN_CODES.has(code);
    if (passThrough && (original instanceof GraphQLError || !(original instanceof Error))) {
      const { stacktrace: _stacktrace, http: _http, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const traceId = options.traceIdOf(error);
    options.onInternalError(original, traceId);
    return {
      message: 'Internal server error',
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR, ...(traceId ? { traceId } : {}) },
    };
  };
}

/**
 * What the log may say about an unexpected error: its class, code and stack
 * frames, not its message, which can quote a value from the request.
 */
export function safeErrorDetail(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const frames = (error.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at '));
  const code = (error as { code?: unknown }).code;
  return { type: error.name, ...(typeof code === 'string' ? { code } : {}), frames: frames.slice(0, 12).map((f) => f.trim()) };
}
