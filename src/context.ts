import { randomUUID } from 'node:crypto';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Span, Tracer } from '@opentelemetry/api';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { SourceError } from '../connectors/resilience/sourceError.js';
import type { Purpose } from './domain/index.js';
import { authenticate, knownPrincipal } from './auth/authenticate.js';
import type { Authenticator, Credentials } from './auth/authenticate.js';
import type { Principal } from './auth/principal.js';
import type { GatewayConfig } from './config.js';
import type { ErasureServices } from './erasure/forgetCustomer.js';
import type { Clock } from './identity/clock.js';
import type { IdentityEngine } from './identity/engine.js';
import type { WriteContext } from './identity/scope.js';
import type { ShutdownHooks } from './hardening/shutdown.js';
import type { AuditLog, ReadAudit } from './audit/index.js';
import { ErrorCode, purposeNotAllowed, sourceUnavailable } from './errors.js';
import { createLoaders } from './loaders.js';
import type { Loaders } from './loaders.js';
import { PrivacyLedger } from './privacy/ledger.js';
import type { PrivacyPolicy } from './privacy/policy.js';
import type { Pseudonyms } from './privacy/pseudonym.js';
import type { TrackingPlan } from './privacy/trackingPlan.js';
import { ownerFactsOf } from './privacy/releaseDecision.js';
import type { SegmentWorker } from './segments/worker.js';
import type { SegmentCatalog } from './segments/catalog.js';
import type { SourceKeyHints } from './sourceKeys.js';
import type { GuardedPorts, Sources } from './sources.js';
import { requestSpan } from './telemetry/traceContext.js';
import { PURPOSES } from './domain/index.js';

/** What every resolver and plugin sees for one request. */
export interface GatewayContext {
  readonly requestId: string;
  readonly principal: Principal;
  /** The purpose stated in x-c360-purpose (self_service by default for customer tokens), or null. */
  readonly purpose: Purpose | null;
  readonly loaders: Loaders;
  /** Decides and records every personal field of this request (src/privacy/). */
  readonly privacy: PrivacyLedger;
  /**
   * The read's audit, written beside its source calls: set by the privacy
   * plugin when the operation starts executing and may release personal
   * data; told of each customer before it is read (src/customers.ts).
   */
  readAudit?: ReadAudit;
  readonly logger: Logger;
  /** The GraphQL operation's span; source spans are its children. */
  readonly span: Span;
  readonly traceId: string;
  readonly services: GatewayServices;
}

/** Built once at start and shared by all requests. */
export interface GatewayServices {
  readonly config: GatewayConfig;
  /** The sources as opened: adapters and guards (readiness, administration). */
  readonly sources: Sources;
  /** The sources as requests call them: each port wrapped once by its guard (src/sources.ts). */
  readonly ports: GuardedPorts;
  readonly authenticator: Authenticator;
  readonly segments: SegmentCatalog;
  /** Keeps the segment index in step (outbox, due customers, backfill): docs/segments.md. */
  readonly segmentWorker: SegmentWorker;
  readonly logger: Logger;
  readonly tracer: Tracer;
  /** The write path: identify, track, setConsent. */
  readonly identity: IdentityEngine;
  readonly erasure: ErasureServices;
  readonly clock: Clock;
  /** Work to finish after the last request and before the sources close (e.g. flushing audit records). */
  readonly shutdown: ShutdownHooks;
  readonly policy: PrivacyPolicy;
  /** Keyed pseudonyms for `hash` (C360_PSEUDONYM_KEY). */
  readonly pseudonyms: Pseudonyms;
  /** What each event type may carry, and the class of each property (config/tracking-plan.json). */
  readonly trackingPlan: TrackingPlan;
  /** Every audit record goes through here (src/audit/). */
  readonly audit: AuditLog;
  /** CRM and loyalty keys of customers read recently, so their calls can start beside the single view read (src/sourceKeys.ts). */
  readonly sourceKeyHints: SourceKeyHints;
}

export const PURPOSE_HEADER = 'x-c360-purpose';

export async function createContext(services: GatewayServices, credentials: Credentials, requestId: string = randomUUID()): Promise<GatewayContext> {
  const { headers } = credentials;
  // The request's span first, so that everything the request does, the API key lookup included, is in its trace.
  const span = requestSpan(services.tracer, headers, services.config.traceParent);
  let principal: Principal;
  let purpose: Purpose | null;
  try {
    // A key the cache knows is valid needs no wait: the usual case, spared the promises of the lookup path.
    principal =
      knownPrincipal(credentials, services.authenticator) ??
      (await authenticate(credentials, services.authenticator, span).catch((error: unknown) => {
        // The key store could not answer: neither a bad credential nor an internal error.
        throw error instanceof SourceError ? sourceUnavailable(error) : error;
      }));
    purpose = requestPurpose(principal, parsePurpose(headers[PURPOSE_HEADER]));
  } catch (error) {
    // No operation runs, so the telemetry plugin never sees this span: it ends here.
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof GraphQLError ? String(error.extensions.code) : 'context failed' });
    span.end();
    throw error;
  }
  // Nothing to set on a span that records nothing (no exporter): spared the attributes object.
  if (span.isRecording()) span.setAttributes({ 'c360.principal': principal.id, 'c360.purpose': purpose ?? 'none' });
  return new RequestContext(services, requestId, principal, purpose, span);
}

/** What a request makes only when it is first used, shared by Apollo's copy of the context and the original. */
interface MadeOnUse {
  loaders?: Loaders;
  privacy?: PrivacyLedger;
  logger?: Logger;
}

/**
 * One request's context. The loaders, the privacy ledger and the request's
 * logger are made on first use: a request that reads no source, releases
 * no personal field and logs nothing at the configured level (a
 * `{ __typename }`, a `viewer`) makes none of them. Apollo Server copies the
 * context per operation (its own properties, onto the same prototype): the
 * getters are on the prototype, so the copy does not call them, and what
 * they make lives in `made`, which the copy shares with the original.
 */
class RequestContext implements GatewayContext {
  readAudit?: ReadAudit;
  readonly traceId: string;
  private readonly made: MadeOnUse = {};

  constructor(
    readonly services: GatewayServices,
    readonly requestId: string,
    readonly principal: Principal,
    readonly purpose: Purpose | null,
    readonly span: Span,
  ) {
    this.traceId = span.spanContext().traceId;
  }

  get loaders(): Loaders {
    return (this.made.loaders ??= createLoaders(this.services.ports, { parentSpan: this.span, batching: this.services.config.batching }));
  }

  get privacy(): PrivacyLedger {
    const { services, made } = this;
    return (made.privacy ??= new PrivacyLedger({
      policy: services.policy,
      purpose: this.purpose,
      // A customer token's own record is bound by `me`, once it has found the customer holding the login.
      callerCustomerId: undefined,
      loadOwner: async (ownerId) => {
        const record = await this.loaders.customers.load(ownerId);
        return record ? ownerFactsOf(record) : undefined;
      },
      redactOptions: { phoneRegion: services.config.phoneDefaultRegion, pseudonymize: services.pseudonyms.for(this.principal.pseudonymSubject) },
    }));
  }

  get logger(): Logger {
    return (this.made.logger ??= this.services.logger.child({ requestId: this.requestId, traceId: this.traceId, principal: this.principal.id }));
  }

  /** The ledger if anything made it: none means no personal field was decided. */
  get privacyIfMade(): PrivacyLedger | undefined {
    return this.made.privacy;
  }
}

/**
 * The request's privacy ledger if one was made (a context built by
 * createContext makes it on first use), without making one: a request
 * that decided no personal field has nothing to audit, count or report.
 */
export function privacyLedgerIfMade(context: GatewayContext): PrivacyLedger | undefined {
  return context instanceof RequestContext ? context.privacyIfMade : context.privacy;
}

/** Who is writing, for the identity change log and the spans of the write. */
export function writeContext(ctx: GatewayContext): WriteContext {
  return { principal: ctx.principal.id, purpose: ctx.purpose, traceId: ctx.traceId, span: ctx.span };
}

/**
 * The request's purpose: the one stated, if the principal may pursue it
 * (else the whole request is refused, 403). A customer token that states
 * none reads its own record for self_service, the only purpose it has.
 */
export function requestPurpose(principal: Principal, stated: Purpose | null): Purpose | null {
  if (stated === null) return principal.kind === 'customer' ? 'SELF_SERVICE' : null;
  if (principal.purposes.has(stated)) return stated;
  throw purposeNotAllowed(stated, [...principal.purposes]);
}

/**
 * `x-c360-purpose` holds the name of a Purpose value in any case (the docs
 * write it lower case: `support`); anything else is a 400. Answers always
 * name purposes as the schema's enum does, upper case.
 */
export function parsePurpose(header: string | string[] | undefined): Purpose | null {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined || raw.trim() === '') return null;
  const purpose = raw.trim().toUpperCase() as Purpose;
  if (PURPOSES.includes(purpose)) return purpose;
  throw new GraphQLError(
    `Unknown purpose in ${PURPOSE_HEADER}; expected one of ${PURPOSES.join(', ')} (in any case).`,
    { extensions: { code: ErrorCode.BAD_USER_INPUT, field: PURPOSE_HEADER, http: { status: 400 } } },
  );
}
