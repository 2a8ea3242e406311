import type { Span } from '@opentelemetry/api';
import { SourceError } from '../../connectors/resilience/sourceError.js';
import { sourceUnavailable, unauthenticated } from '../errors.js';
import type { ApiKeyAuthenticator } from './apiKeys.js';
import type { Principal } from './principal.js';

export type HeaderBag = Record<string, string | string[] | undefined>;

/** Bearer tokens: verified by src/auth/tokens.ts when configured. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

export interface Authenticator {
  readonly apiKeys: ApiKeyAuthenticator;
  readonly tokens?: TokenVerifier | undefined;
}

/**
 * Who is calling, from `x-api-key` or `authorization: Bearer`. Anything else,
 * or a credential that does not check out, is UNAUTHENTICATED (HTTP 401). A
 * key that cannot be checked because the single view fails is
 * SOURCE_UNAVAILABLE or SOURCE_TIMEOUT (HTTP 503). A key lookup is a span
 * under `parentSpan`, the request's.
 */
export async function authenticate(headers: HeaderBag, authenticator: Authenticator, parentSpan?: Span): Promise<Principal> {
  const apiKey = single(headers['x-api-key']);
  if (apiKey !== undefined) {
    const check = await authenticator.apiKeys.check(apiKey, parentSpan).catch((error: unknown) => {
      throw error instanceof SourceError ? sourceUnavailable(error) : error;
    });
    if (check.status === 'valid') return check.principal;
    throw unauthenticated(`Invalid API key: ${check.reason}.`);
  }
  const authorization = single(headers.authorization);
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!match) throw unauthenticated('The authorization header must be "Bearer <token>".');
    if (!authenticator.tokens) throw unauthenticated('Bearer tokens are not configured on this gateway; use an x-api-key.');
    return authenticator.tokens.verify(match[1]!);
  }
  throw unauthenticated('Authentication required: send an x-api-key header or an authorization: Bearer token.');
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
