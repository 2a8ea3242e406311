import type { Span } from '@opentelemetry/api';
import { GraphQLError } from 'graphql';
import { SourceError } from '../../connectors/resilience/sourceError.js';
import { ErrorCode, sourceUnavailable, unauthenticated } from '../errors.js';
import type { ApiKeyAuthenticator } from './apiKeys.js';
import type { AuthFailureLimiter } from './failureLimiter.js';
import type { Principal } from './principal.js';

export type HeaderBag = Record<string, string | string[] | undefined>;

/** Bearer tokens: verified by src/auth/tokens.ts when configured. */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

export interface Authenticator {
  readonly apiKeys: ApiKeyAuthenticator;
  readonly tokens?: TokenVerifier | undefined;
  /** Failed authentications per client address; none when absent. */
  readonly failures?: AuthFailureLimiter | undefined;
}

/** One request's credentials and where it came from. */
export interface Credentials {
  readonly headers: HeaderBag;
  /** The client address (Fastify's request.ip), for the failed-authentication limit. */
  readonly clientAddress?: string | undefined;
}

/**
 * Who is calling, from `x-api-key` or `authorization: Bearer`. Anything else,
 * or a credential that does not check out, is UNAUTHENTICATED (HTTP 401) and
 * counts against the client address; an address with too many failures is
 * RATE_LIMITED (HTTP 429) before its credential costs a lookup, unless it is
 * a key already known to be valid. A key that cannot be checked because the
 * single view fails is SOURCE_UNAVAILABLE or SOURCE_TIMEOUT (HTTP 503). A key
 * lookup is a span under `parentSpan`, the request's.
 */
export async function authenticate(request: Credentials, authenticator: Authenticator, parentSpan?: Span): Promise<Principal> {
  const { headers, clientAddress } = request;
  const failures = authenticator.failures;
  const apiKey = single(headers['x-api-key']);
  if (apiKey !== undefined) return keyPrincipal(apiKey, clientAddress, authenticator, parentSpan);
  failures?.assertAllowed(clientAddress);
  try {
    return await bearer(headers, authenticator);
  } catch (error) {
    if (error instanceof GraphQLError && error.extensions.code === ErrorCode.UNAUTHENTICATED) failures?.recordFailure(clientAddress);
    throw error;
  }
}

/**
 * The principal of an `x-api-key` the cache already knows to be valid, at
 * once, or undefined when only `authenticate` can tell (no key, a key the
 * cache does not know, or one it knows to be invalid, which counts as a
 * failure there). A request with a valid cached key is admitted whatever
 * its address's failures, as `authenticate` admits it; this only spares it
 * the promises of the path that may have to wait for a lookup.
 */
export function knownPrincipal(request: Credentials, authenticator: Authenticator): Principal | undefined {
  const apiKey = single(request.headers['x-api-key']);
  if (apiKey === undefined) return undefined;
  const cached = authenticator.apiKeys.cachedCheck(apiKey);
  return cached?.status === 'valid' ? cached.principal : undefined;
}

/** An API key: from the cache when it knows the answer, else one lookup, paid for up front by the address. */
async function keyPrincipal(
  apiKey: string,
  clientAddress: string | undefined,
  authenticator: Authenticator,
  parentSpan: Span | undefined,
): Promise<Principal> {
  const { apiKeys, failures } = authenticator;
  const cached = apiKeys.cachedCheck(apiKey);
  if (cached?.status === 'valid') return cached.principal;
  failures?.assertAllowed(clientAddress);
  if (cached) {
    failures?.recordFailure(clientAddress);
    throw unauthenticated(`Invalid API key: ${cached.reason}.`);
  }
  // Requests that join a lookup already under way add no cost, so they spend nothing.
  const attempt = apiKeys.lookupPending(apiKey) ? undefined : failures?.reserve(clientAddress);
  const check = await apiKeys.check(apiKey, parentSpan).catch((error: unknown) => {
    // The single view could not answer: not the client's failure.
    attempt?.refund();
    throw error instanceof SourceError ? sourceUnavailable(error) : error;
  });
  if (check.status === 'valid') {
    attempt?.refund();
    return check.principal;
  }
  if (!attempt) failures?.recordFailure(clientAddress);
  throw unauthenticated(`Invalid API key: ${check.reason}.`);
}

async function bearer(headers: HeaderBag, authenticator: Authenticator): Promise<Principal> {
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
