import { randomUUID } from 'node:crypto';
import type { Span, Tracer } from '@opentelemetry/api';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Purpose } from '../connectors/singleview/port.js';
import { authenticate } from './auth/authenticate.js';
import type { Authenticator, HeaderBag } from './auth/authenticate.js';
import type { Principal } from './auth/principal.js';
import type { GatewayConfig } from './config.js';
import type { ErasureServices } from './erasure/forgetCustomer.js';
import type { Clock } from './identity/clock.js';
import type { IdentityEngine } from './identity/engine.js';
import type { WriteContext } from './identity/scope.js';
import { ErrorCode } from './errors.js';
import { createLoaders } from './loaders.js';
import type { Loaders } from './loaders.js';
import type { SegmentCatalog } from './segments/catalog.js';
import type { Sources } from './sources.js';

/** What every resolver and plugin sees for one request. */
export interface GatewayContext {
  readonly requestId: string;
  readonly principal: Principal;
  /** The purpose stated in x-c360-purpose, or null when none was stated. */
  readonly purpose: Purpose | null;
  readonly loaders: Loaders;
  readonly logger: Logger;
  /** The GraphQL operation's span; source spans are its children. */
  readonly span: Span;
  readonly traceId: string;
  readonly services: GatewayServices;
}

/** Built once at start and shared by all requests. */
export interface GatewayServices {
  readonly config: GatewayConfig;
  readonly sources: Sources;
  readonly authenticator: Authenticator;
  readonly segments: SegmentCatalog;
  readonly logger: Logger;
  readonly tracer: Tracer;
  /** The write path: identify, track, setConsent. */
  readonly identity: IdentityEngine;
  readonly erasure: ErasureServices;
  readonly clock: Clock;
}

export const PURPOSE_HEADER = 'x-c360-purpose';
const PURPOSES: readonly Purpose[] = ['SUPPORT', 'MARKETING', 'ANALYTICS', 'PERSONALIZATION', 'FRAUD', 'SELF_SERVICE'];

export async function createContext(services: GatewayServices, headers: HeaderBag, requestId: string = randomUUID()): Promise<GatewayContext> {
  const principal = await authenticate(headers, services.authenticator);
  const purpose = parsePurpose(headers[PURPOSE_HEADER]);
  const span = services.tracer.startSpan('c360.graphql.request', {
    attributes: { 'c360.principal': principal.id, 'c360.purpose': purpose ?? 'none' },
  });
  const traceId = span.spanContext().traceId;
  return {
    requestId,
    principal,
    purpose,
    span,
    traceId,
    logger: services.logger.child({ requestId, traceId, principal: principal.id }),
    loaders: createLoaders(services.sources, { parentSpan: span, batching: services.config.batching }),
    services,
  };
}

/** Who is writing, for the identity change log and the spans of the write. */
export function writeContext(ctx: GatewayContext): WriteContext {
  return { principal: ctx.principal.id, purpose: ctx.purpose, traceId: ctx.traceId, span: ctx.span };
}

/** `x-c360-purpose` holds the lower-case name of a Purpose value; anything else is a 400. */
export function parsePurpose(header: string | string[] | undefined): Purpose | null {
  const raw = Array.isArray(header) ? header[0] : header;
  if (raw === undefined || raw.trim() === '') return null;
  const purpose = raw.trim().toUpperCase() as Purpose;
  if (PURPOSES.includes(purpose)) return purpose;
  throw new GraphQLError(
    `Unknown purpose in ${PURPOSE_HEADER}; expected one of ${PURPOSES.map((p) => p.toLowerCase()).join(', ')}.`,
    { extensions: { code: ErrorCode.BAD_USER_INPUT, field: PURPOSE_HEADER, http: { status: 400 } } },
  );
}
