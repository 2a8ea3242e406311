import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { GraphQLError } from 'graphql';
import { normalizeIdentity } from '../../connectors/resolution/normalize.js';
import type { TokenSettings } from '../config.js';
import type { IdentityKey, Purpose } from '../domain/index.js';
import { unauthenticated } from '../errors.js';
import type { TokenVerifier } from './authenticate.js';
import type { Pseudonyms } from '../privacy/pseudonym.js';
import type { Principal } from './principal.js';
import { AGENT_SCOPES, CUSTOMER_SCOPES } from './scopes.js';

/** The token settings of the configuration (C360_JWT_*, src/config.ts), and what the verifier needs besides. */
export interface TokenConfig extends TokenSettings {
  /** For a PHONE login written without a country code. */
  readonly phoneRegion?: string;
  /** Keys the principal id of a customer token (`customer:<pseudonym of the login>`). */
  readonly pseudonyms: LoginPseudonyms;
}

export type LoginPseudonyms = Pick<Pseudonyms, 'login'>;

/**
 * What a token subject (an agent's `sub`, a customer's login claim) may look
 * like: 1–128 characters from letters, digits and `. _ : @ | + = -`, starting
 * with a letter or digit. Covers identity providers' ids (`auth0|5f…`,
 * UUIDs, `00u1ab…`, e-mail-like logins) and keeps markup, quotes, spaces and
 * line breaks out of audit records and logs.
 */
export const SUBJECT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@|+=-]{0,127}$/;
const SUBJECT_RULE = '1–128 characters from letters, digits and . _ : @ | + = -, starting with a letter or digit';

/** Agents pursue these purposes only, whatever else their token claims. */
export const AGENT_PURPOSES: readonly Purpose[] = ['SUPPORT', 'FRAUD'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * First-party tokens (docs/security.md, "Tokens"), verified with jose:
 * `role: "customer"` — the login claim (`sub` by default) is the identifier
 * the identity provider verified (a USER_ID by default); `me` is the customer
 * holding it, read for purpose self_service. `role: "agent"` — a call-centre
 * agent; purposes from the `purposes` claim, kept only where they are support
 * or fraud. `exp` and `sub` are required and the lifetime is capped;
 * `iss` and `aud` are checked when configured.
 */
export function createTokenVerifier(config: TokenConfig): TokenVerifier | undefined {
  if (!config.secret && !config.jwksUrl) return undefined;
  const secret = config.secret ? new TextEncoder().encode(config.secret) : undefined;
  const jwks = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 2_000, cooldownDuration: 30_000 }) : undefined;
  const options = {
    issuer: config.issuer,
    audience: config.audience,
    requiredClaims: ['exp', 'sub'],
    clockTolerance: 5,
  };
  return {
    async verify(token: string): Promise<Principal> {
      const alg = algorithmOf(token);
      let payload: JWTPayload;
      try {
        if (alg === 'HS256' && secret) payload = (await jwtVerify(token, secret, { ...options, algorithms: ['HS256'] })).payload;
        else if (alg !== undefined && ASYMMETRIC.includes(alg) && jwks) payload = (await jwtVerify(token, jwks, { ...options, algorithms: ASYMMETRIC })).payload;
        else throw unauthenticated(`Invalid token: algorithm ${alg ?? '(none)'} is not accepted here.`);
      } catch (error) {
        if (error instanceof errors.JOSEError) throw unauthenticated(`Invalid token: ${tokenProblem(error)}.`);
        if (error instanceof GraphQLError) throw error;
        // Not jose's own error: the JWKS endpoint could not be reached.
        throw unauthenticated('Invalid token: the signing keys could not be fetched; try again.');
      }
      checkLifetime(payload, config.maxAgeSeconds);
      return principalOf(payload, config);
    },
  };
}

/** A token that lives longer than the gateway accepts is refused, however well signed: a leaked one would work for years. */
function checkLifetime(payload: JWTPayload, maxAgeSeconds: number): void {
  const now = Math.floor(Date.now() / 1000);
  const exp = payload.exp!;
  const issuedAt = typeof payload.iat === 'number' && payload.iat <= now + 5 ? payload.iat : now;
  if (exp - issuedAt > maxAgeSeconds + 5 || exp - now > maxAgeSeconds + 5) {
    throw unauthenticated(`Invalid token: it is valid for longer than the ${maxAgeSeconds} s this gateway accepts (C360_TOKEN_MAX_AGE).`);
  }
}

function algorithmOf(token: string): string | undefined {
  try {
    return decodeProtectedHeader(token).alg;
  } catch {
    throw unauthenticated('Invalid token: it is malformed.');
  }
}

/** jose's codes in words; never the token's content, which can carry personal data. */
function tokenProblem(error: InstanceType<typeof errors.JOSEError>): string {
  switch (error.code) {
    case 'ERR_JWT_EXPIRED':
      return 'it has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `the "${(error as InstanceType<typeof errors.JWTClaimValidationFailed>).claim}" claim is missing or not accepted`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the signature does not verify';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no signing key matches its key id';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
    case 'ERR_JOSE_GENERIC':
      return 'the signing keys could not be fetched; try again';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'its algorithm is not accepted here';
    default:
      return 'it is malformed';
  }
}

/** `pseudonym_scope: "principal"`: the token's subject gets pseudonyms of its own (docs/privacy.md). */
function pseudonymsOf(payload: JWTPayload, principalId: string): Pick<Principal, 'pseudonymSubject'> {
  if (payload.pseudonym_scope === undefined || payload.pseudonym_scope === 'shared') return {};
  if (payload.pseudonym_scope === 'principal') return { pseudonymSubject: principalId };
  throw unauthenticated('Invalid token: the "pseudonym_scope" claim must be "shared" or "principal".');
}

function principalOf(payload: JWTPayload, config: TokenConfig): Principal {
  switch (payload.role) {
    case 'customer': {
      const login = loginOf(payload, config);
      const id = `customer:${loginPseudonym(login, config.pseudonyms)}`;
      return {
        ...pseudonymsOf(payload, id),
        kind: 'customer',
        id,
        name: 'Signed-in customer',
        login,
        scopes: new Set(CUSTOMER_SCOPES),
        purposes: new Set<Purpose>(['SELF_SERVICE']),
        trustedDocumentsOnly: false,
      };
    }
    case 'agent': {
      const subject = subjectClaim(payload, 'sub');
      return {
        ...pseudonymsOf(payload, `agent:${subject}`),
        kind: 'agent',
        id: `agent:${subject}`,
        name: typeof payload.name === 'string' && payload.name.length <= 200 ? payload.name : `Agent ${subject}`,
        scopes: new Set(AGENT_SCOPES),
        purposes: new Set(claimedPurposes(payload.purposes).filter((purpose) => AGENT_PURPOSES.includes(purpose))),
        trustedDocumentsOnly: false,
      };
    }
    default:
      throw unauthenticated('Invalid token: the "role" claim must be "customer" or "agent".');
  }
}

/** A subject claim checked against SUBJECT_PATTERN; the refusal names the claim, never its value. */
function subjectClaim(payload: JWTPayload, claim: string): string {
  const value = payload[claim];
  if (typeof value !== 'string' || !SUBJECT_PATTERN.test(value)) {
    throw unauthenticated(`Invalid token: the "${claim}" claim must be ${SUBJECT_RULE}.`);
  }
  return value;
}

/** The verified login a customer token names, normalized like the identifier it is. */
function loginOf(payload: JWTPayload, config: TokenConfig): IdentityKey {
  const claim = config.customerClaim;
  const value = config.customerIdentity === 'EMAIL' || config.customerIdentity === 'PHONE' ? payload[claim] : subjectClaim(payload, claim);
  const normalized = typeof value === 'string' ? normalizeIdentity(config.customerIdentity, value, { defaultRegion: config.phoneRegion ?? 'US' }) : undefined;
  if (!normalized?.ok) throw unauthenticated(`Invalid token: the "${claim}" claim is not an identifier of type ${config.customerIdentity}.`);
  return normalized.key;
}

/**
 * How a signed-in customer appears in logs, audit records and rate limits:
 * a keyed pseudonym of the login (HMAC under C360_PSEUDONYM_KEY,
 * src/privacy/pseudonym.ts), never the login itself (it identifies the
 * person) nor a plain digest of it (a guessed login would reproduce it).
 */
export function loginPseudonym(login: IdentityKey, pseudonyms: LoginPseudonyms): string {
  return pseudonyms.login(login.type, login.value);
}

/** `purposes` as an array of names or a space-separated string, lower- or upper-case. */
function claimedPurposes(claim: unknown): Purpose[] {
  const names = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/\s+/) : [];
  return names.filter((name): name is string => typeof name === 'string').map((name) => name.toUpperCase() as Purpose);
}

