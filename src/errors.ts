import { GraphQLError } from 'graphql';
import type { GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { SourceError } from '../connectors/resilience/sourceError.js';

/**
 * The error codes of the public contract (DESIGN.md), one constructor per
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
  INTERNAL_SERVER_ERROR: 'INTERNAL_SERVER_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes Apollo Server itself gives for malformed requests; passed through as they are. */
const APOLLO_REQUEST_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);
const KNOWN_CODES = new Set<string>([...Object.values(ErrorCode), ...APOLLO_REQUEST_CODES]);

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
    const code = formatted.extensions?.code;
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
