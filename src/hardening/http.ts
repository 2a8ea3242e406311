import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** Headers a browser client may send (CORS preflight): credentials, purpose, request id, W3C trace context, Apollo's CSRF headers. */
const ALLOWED_HEADERS = [
  'content-type',
  'accept',
  'x-api-key',
  'authorization',
  'x-c360-purpose',
  'x-request-id',
  'traceparent',
  'tracestate',
  'apollo-require-preflight',
  'x-apollo-operation-name',
];

/** The request headers that change a /graphql answer: who asks, and why. */
const VARY = ['x-api-key', 'authorization', 'x-c360-purpose'];

/**
 * CORS and security headers for every route (docs/security.md, "Request
 * hygiene"):
 * - /graphql answers carry customer data decided per principal and purpose:
 *   `Cache-Control: no-store`, so no shared cache (nor the browser) keeps one
 *   to hand to another caller unaudited, and `Vary` on the headers that
 *   change the answer for any cache that ignores no-store;
 * - CORS: only the origins in C360_CORS_ORIGINS get CORS headers (none by
 *   default: partners call from servers, the console is same-origin). No
 *   cookies are involved (credentials are headers), so no credentialed CORS.
 * - helmet's headers (nosniff, frame denial, no referrer, HSTS, COOP/CORP).
 *   The content security policy here is for JSON answers: nothing may load
 *   or frame them. The console and explorer pages set their own policy on
 *   their responses, which replaces this one (src/web/).
 */
export async function registerHttpHygiene(app: FastifyInstance, corsOrigins: readonly string[]): Promise<void> {
  await app.register(fastifyCors, {
    origin: corsOrigins.length > 0 ? [...corsOrigins] : false,
    methods: ['GET', 'POST'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: ['retry-after'],
    maxAge: 600,
  });
  app.addHook('onSend', async (request, reply) => {
    if (request.routeOptions.url !== '/graphql') return;
    reply.header('cache-control', 'no-store');
    const present = String(reply.getHeader('vary') ?? '').split(',').map((name) => name.trim()).filter(Boolean);
    reply.header('vary', [...present, ...VARY.filter((name) => !present.some((p) => p.toLowerCase() === name))].join(', '));
  });
  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    xFrameOptions: { action: 'deny' },
  });
}
