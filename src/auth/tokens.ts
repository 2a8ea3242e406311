import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { GraphQLError } from 'graphql';
import type { Purpose } from '../../connectors/singleview/port.js';
import { unauthenticated } from '../errors.js';
import { isCustomerId } from '../validation.js';
import type { TokenVerifier } from './authenticate.js';
import type { Principal } from './principal.js';
import { AGENT_SCOPES, CUSTOMER_SCOPES } from './scopes.js';

export interface TokenConfig {
  /** HS256 shared secret (at least 32 characters). */
  readonly secret?: string | undefined;
  /** JWKS endpoint for asymmetric tokens (RS256, ES256, PS256, EdDSA). */
  readonly jwksUrl?: string | undefined;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
}

/** Agents pursue these purposes only, whatever else their token claims. */
export const AGENT_PURPOSES: readonly Purpose[] = ['SUPPORT', 'FRAUD'];
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * First-party tokens (docs/security.md, "Tokens"), verified with jose:
 * `role: "customer"` — `sub` is the customer's canonical id; reads `me` for
 * purpose self_service. `role: "agent"` — a call-centre agent; purposes from
 * the `purposes` claim, kept only where they are support or fraud.
 * `exp` and `sub` are required; `iss` and `aud` are checked when configured.
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
      return principalOf(payload);
    },
  };
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

function principalOf(payload: JWTPayload): Principal {
  const subject = payload.sub!;
  switch (payload.role) {
    case 'customer':
      if (!isCustomerId(subject)) throw unauthenticated('Invalid token: "sub" is not a customer id.');
      return {
        ...pseudonymsOf(payload, `customer:${subject}`),
        kind: 'customer',
        id: `customer:${subject}`,
        name: 'Signed-in customer',
        customerId: subject,
        scopes: new Set(CUSTOMER_SCOPES),
        purposes: new Set<Purpose>(['SELF_SERVICE']),
        trustedDocumentsOnly: false,
      };
    case 'agent':
      return {
        ...pseudonymsOf(payload, `agent:${subject}`),
        kind: 'agent',
        id: `agent:${subject}`,
        name: typeof payload.name === 'string' && payload.name.length <= 200 ? payload.name : `Agent ${subject}`,
        scopes: new Set(AGENT_SCOPES),
        purposes: new Set(claimedPurposes(payload.purposes).filter((purpose) => AGENT_PURPOSES.includes(purpose))),
        trustedDocumentsOnly: false,
      };
    default:
      throw unauthenticated('Invalid token: the "role" claim must be "customer" or "agent".');
  }
}

/** `purposes` as an array of names or a space-separated string, lower- or upper-case. */
function claimedPurposes(claim: unknown): Purpose[] {
  const names = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/\s+/) : [];
  return names.filter((name): name is string => typeof name === 'string').map((name) => name.toUpperCase() as Purpose);
}

