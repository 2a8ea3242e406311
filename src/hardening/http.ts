import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import Fastify from 'fastify';
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
const VARY_VALUE = VARY.join(', ');

/** helmet's options: its defaults, and a content security policy for JSON answers. */
const HELMET_OPTIONS: FastifyHelmetOptions = {
  global: true,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
  },
  xFrameOptions: { action: 'deny' },
};

/** Headers every response has whatever helmet does (the probe's own answer). */
const NOT_HELMETS = new Set(['content-type', 'content-length', 'date', 'connection', 'keep-alive']);

/**
 * The headers @fastify/helmet sets with these options, worked out once: it
 * builds helmet's middleware anew for every request (about 6 % of a
 * `{ __typename }` request's CPU), although with static options (no CSP
 * nonces, no per-route options) every response gets the same headers. A
 * probe app with the plugin answers one request; its headers are the list.
 */
export async function helmetHeaders(options: FastifyHelmetOptions = HELMET_OPTIONS): Promise<ReadonlyArray<readonly [string, string]>> {
  const probe = Fastify({ logger: false });
  await probe.register(fastifyHelmet, options);
  probe.get('/', (_request, reply) => reply.send(''));
  const response = await probe.inject({ method: 'GET', url: '/' });
  await probe.close();
  return Object.entries(response.headers)
    .filter(([name]) => !NOT_HELMETS.has(name))
    .map(([name, value]) => [name, String(value)] as const);
}

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
  // With no origin listed the plugin would only run a hook per request that does nothing (origin: false)
  // and answer preflights 404, as Fastify does without it: it is not registered.
  if (corsOrigins.length > 0) await registerCors(app, corsOrigins);
  // Among the reply's own headers, set before any route runs, so a route's own header (the web pages'
  // policy) replaces one. Not on the raw response as helmet does: a header set there makes Node check
  // and copy every header of the response once more when Fastify writes them.
  const security = Object.fromEntries(await helmetHeaders());
  // A callback hook rather than an async one: each async hook costs the request a promise and a turn of the microtask queue.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(security);
    done();
  });
}

/**
 * `Cache-Control: no-store` and `Vary` on every /graphql answer (see
 * registerHttpHygiene), by a hook of the scope /graphql is registered in
 * (src/server.ts): no other response runs it, and it needs no look at the
 * request's route.
 */
export function registerGraphQLHeaders(scope: FastifyInstance): void {
  scope.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('cache-control', 'no-store');
    const vary = reply.getHeader('vary');
    reply.header('vary', vary === undefined ? VARY_VALUE : withVary(String(vary)));
    done(null, payload);
  });
}

/** The VARY names added to a Vary header another hook set (CORS: Origin). */
function withVary(value: string): string {
  const present = value.split(',').map((name) => name.trim()).filter(Boolean);
  return [...present, ...VARY.filter((name) => !present.some((p) => p.toLowerCase() === name))].join(', ');
}

/** CORS for the listed origins only: any other origin gets no CORS header, so a browser refuses its call. */
async function registerCors(app: FastifyInstance, corsOrigins: readonly string[]): Promise<void> {
  await app.register(fastifyCors, {
    origin: [...corsOrigins],
    methods: ['GET', 'POST'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: ['retry-after'],
    maxAge: 600,
  });
}
