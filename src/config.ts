import { z } from 'zod';
import type { IdentityType } from './domain/index.js';
import { IDENTITY_TYPES } from './domain/index.js';
import { DEFAULT_IDENTITY_POLICY } from './identity/identityRules.js';
import type { Blocklist, IdentityPolicy } from './identity/identityRules.js';
import { DEFAULT_RETENTION } from '../connectors/singleview/retention.js';
import type { Retention } from '../connectors/singleview/retention.js';
import { pseudonymKeyProblem } from './privacy/pseudonym.js';
import { SOURCE_ENV, refineSourceEnv, sourceConnections } from './sourceConfig.js';
import type { CrmMapping } from '../connectors/crm/mapping.js';
import type { HttpSourceCredentials } from '../connectors/shared/httpSource.js';

/**
 * Configuration from environment variables, validated once at start. A wrong
 * value stops the process with a message naming the variable (never its
 * value: some variables are secrets). docs/configuration.md lists them all.
 */
const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: 'expected a number' })
    .int({ error: 'expected a whole number' })
    .min(min, { error: `expected at least ${min}` })
    .max(max, { error: `expected at most ${max}` });

const optionalUrl = z.url({ error: 'expected an absolute URL such as http://host:port' }).optional();

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const SOURCE_NAMES = ['singleview', 'crm', 'loyalty', 'resolution'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** Browser origins allowed to call /graphql (CORS): `scheme://host[:port]`, comma-separated. */
const originList = z
  .string()
  .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(
    z.array(
      z
        .string()
        .regex(/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, { error: 'expected origins such as https://app.example.com, comma-separated' }),
    ),
  );

const sourceList = z
  .string()
  .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.enum(SOURCE_NAMES, { error: `expected a comma-separated list of ${SOURCE_NAMES.join(', ')}` })));

/** `86400`, `30s`, `15m`, `12h` or `1d`: a duration in whole seconds. */
const durationSeconds = z
  .string()
  .regex(/^(\d{1,9})([smhd]?)$/, { error: 'expected seconds or a duration such as 30s, 15m, 12h or 1d' })
  .transform((value) => {
    const [, amount, unit] = /^(\d{1,9})([smhd]?)$/.exec(value)!;
    return Number(amount) * { '': 1, s: 1, m: 60, h: 3_600, d: 86_400 }[unit as '' | 's' | 'm' | 'h' | 'd'];
  })
  .pipe(z.number().min(60, { error: 'expected at least 60 seconds' }).max(30 * 86_400, { error: 'expected at most 30 days' }));

/**
 * A shared secret someone could guess is no secret: at least 32 characters,
 * and about 128 bits by the characters' own spread (Shannon entropy of the
 * string times its length), so `aaaa…`, forty spaces or a repeated word are
 * refused while `openssl rand -base64 32` passes with room to spare.
 */
export function secretStrength(secret: string): 'ok' | 'short' | 'low-entropy' {
  if (secret.length < 32) return 'short';
  const counts = new Map<string, number>();
  for (const char of secret) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bitsPerChar = 0;
  for (const count of counts.values()) {
    const p = count / secret.length;
    bitsPerChar -= p * Math.log2(p);
  }
  return bitsPerChar * secret.length >= 128 && counts.size >= 10 && secret.trim() === secret ? 'ok' : 'low-entropy';
}

const jwtSecret = z.string().superRefine((secret, ctx) => {
  const strength = secretStrength(secret);
  if (strength === 'short') ctx.addIssue({ code: 'custom', message: 'expected at least 32 characters for an HS256 secret' });
  if (strength === 'low-entropy') {
    ctx.addIssue({ code: 'custom', message: 'the secret is guessable (too few different characters, or spaces around it); use 32 random bytes, e.g. openssl rand -base64 32' });
  }
});

/**
 * Fastify's trustProxy: `false` (the peer address is the client), `true`
 * (trust every X-Forwarded-For hop: only behind a proxy that overwrites it),
 * a number of hops, or the proxies' addresses/CIDRs, comma-separated.
 */
const trustProxy = z
  .string()
  .transform((value): boolean | number | string[] => {
    const trimmed = value.trim();
    if (trimmed === 'false' || trimmed === '') return false;
    if (trimmed === 'true') return true;
    if (/^\d{1,2}$/.test(trimmed)) return Number(trimmed);
    return trimmed.split(',').map((s) => s.trim()).filter(Boolean);
  })
  .pipe(
    z.union([
      z.boolean(),
      z.number(),
      z.array(z.string().regex(/^[0-9A-Fa-f.:]+(\/\d{1,3})?$/, { error: 'expected true, false, a hop count, or proxy addresses/CIDRs, comma-separated' })),
    ]),
  );

const identityType = z.enum(IDENTITY_TYPES, {
  error: `expected identity types among ${IDENTITY_TYPES.join(', ')}`,
});

/** `USER_ID,EMAIL,…`: strongest first; types left out follow in the default order. */
const identityPriority = z
  .string()
  .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(identityType).refine((types) => new Set(types).size === types.length, 'an identity type is listed twice'))
  .transform((types) => [...types, ...DEFAULT_IDENTITY_POLICY.priority.filter((type) => !types.includes(type))]);

/** `EMAIL=3,DEVICE_ID=10`: per-type limits; types left out keep their default. */
const identityLimits = z
  .string()
  .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean).map((pair) => pair.split('=')))
  .pipe(z.array(z.tuple([identityType, z.string().regex(/^[0-9]{1,5}$/, 'expected a whole number').transform(Number).pipe(z.number().min(1, 'a limit is at least 1'))], { error: 'expected TYPE=number pairs' })))
  .transform((pairs) => ({ ...DEFAULT_IDENTITY_POLICY.limits, ...Object.fromEntries(pairs) }) as Record<IdentityType, number>);

/**
 * `0,null,/^x+$/`: identifier values that never link people, replacing the
 * default list. `/…/` is a pattern (case-insensitive); other entries are
 * values, compared with the normalized value ignoring case. Empty: none.
 */
const identityBlocklist = z
  .string()
  .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean))
  .transform((entries, ctx): Blocklist => {
    const values: string[] = [];
    const patterns: RegExp[] = [];
    for (const entry of entries) {
      if (!(entry.length > 2 && entry.startsWith('/') && entry.endsWith('/'))) {
        values.push(entry.toLowerCase());
        continue;
      }
      try {
        patterns.push(new RegExp(entry.slice(1, -1), 'i'));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'a /pattern/ is not a valid regular expression' });
      }
    }
    return { values, patterns };
  });

/** `EMAIL=email,PHONE=phone`: identity type → input field of the Entity Resolution workflow's schema. */
const matchFields = z
  .string()
  .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean).map((pair) => pair.split('=')))
  .pipe(z.array(z.tuple([identityType, z.string().regex(/^[A-Za-z0-9_.-]{1,255}$/, 'expected a field name')], { error: 'expected TYPE=field pairs' })))
  .transform((pairs) => Object.fromEntries(pairs) as Partial<Record<IdentityType, string>>);

/**
 * Slots of operations executing at once by default, chosen by measurement on
 * two cores (bench/README.md, "Overload"): beyond it requests only queue
 * inside the process and every one of them gets slower.
 */
export const DEFAULT_MAX_CONCURRENT_OPERATIONS = 32;

export const envSchema = z.object({
  C360_HOST: z.string().min(1).default('127.0.0.1'),
  C360_PORT: integer(0, 65_535).default(4000),
  /** Prometheus /metrics on its own listener (docs/operations.md); unset: no metrics listener. */
  C360_METRICS_PORT: integer(0, 65_535).optional(),
  C360_METRICS_HOST: z.string().min(1).optional(),
  C360_DATA_DIR: z.string().min(1).default('./.c360-data'),
  C360_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  C360_DYNAMODB_ENDPOINT: optionalUrl,
  C360_DYNAMODB_TABLE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{0,200}$/, 'expected letters, digits, _ . -').default('c360_'),
  C360_CREATE_TABLES: booleanFlag.default(true),
  C360_AUDIT_RETENTION_DAYS: integer(0, 36_500).default(DEFAULT_RETENTION.auditDays),
  C360_IDEMPOTENCY_RETENTION_DAYS: integer(1, 3_650).default(DEFAULT_RETENTION.idempotencyDays),
  C360_EVENT_RETENTION_DAYS: integer(0, 36_500).default(DEFAULT_RETENTION.eventDays),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  C360_MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// or mongodb+srv:// URL').optional(),
  C360_MONGODB_DATABASE: z.string().min(1).default('c360'),
  ...SOURCE_ENV,
  C360_LOYALTY_URL: optionalUrl,
  C360_RESOLUTION_URL: optionalUrl,
  C360_RESOLUTION_ADAPTER: z.enum(['embedded', 'http', 'aws-entity-resolution']).optional(),
  C360_AWS_ER_WORKFLOW: z.string().regex(/^[a-zA-Z_0-9-]{1,255}$/, 'expected a matching workflow name').optional(),
  C360_AWS_ER_ENDPOINT: optionalUrl,
  C360_AWS_ER_FIELDS: matchFields.default({ EMAIL: 'email', PHONE: 'phone' }),
  C360_AWS_ER_NORMALIZE: booleanFlag.default(true),
  C360_IDENTITY_PRIORITY: identityPriority.default([...DEFAULT_IDENTITY_POLICY.priority]),
  C360_IDENTITY_LIMITS: identityLimits.default({ ...DEFAULT_IDENTITY_POLICY.limits }),
  C360_IDENTITY_BLOCKLIST: identityBlocklist.optional(),
  C360_SEGMENTS_FILE: z.string().min(1).optional(),
  C360_WRITE_CACHE_SIZE: integer(0, 1_000_000).default(10_000),
  C360_SEGMENTS_WORKER_MS: integer(0, 3_600_000).optional(),
  /** The probabilistic matcher's model (docs/identity-resolution.md); the shipped config/match-model.json when unset. */
  C360_MATCH_MODEL_FILE: z.string().min(1).optional(),
  /** Online scoring after identify: stores merge suggestions, never merges unless C360_MATCH_AUTO_MERGE is set. */
  C360_MATCH_ONLINE: booleanFlag.default(true),
  /** The background job worker inside the gateway (src/jobs/); false when `npm run jobs` runs it as a process of its own. */
  C360_JOBS_WORKER: booleanFlag.default(true),
  /** `off` (default): a person decides every suggestion. A probability: pairs at or above it merge without review. */
  C360_MATCH_AUTO_MERGE: z
    .string()
    .transform((value, ctx) => {
      if (value.trim().toLowerCase() === 'off') return null;
      const probability = Number(value);
      if (value.trim() === '' || !(probability > 0 && probability < 1)) {
        ctx.addIssue({ code: 'custom', message: 'expected off or a probability strictly between 0 and 1, such as 0.999' });
        return z.NEVER;
      }
      return probability;
    })
    .default(null),
  /** Customers the online candidate index keeps in memory at most. */
  C360_MATCH_INDEX_LIMIT: integer(0, 100_000_000).default(1_000_000),

  C360_SOURCE_TIMEOUT_MS: integer(1, 60_000).default(300),
  C360_SINGLEVIEW_TIMEOUT_MS: integer(1, 60_000).optional(),
  C360_CRM_TIMEOUT_MS: integer(1, 60_000).optional(),
  C360_LOYALTY_TIMEOUT_MS: integer(1, 60_000).optional(),
  C360_RESOLUTION_TIMEOUT_MS: integer(1, 60_000).optional(),
  C360_SOURCE_RETRIES: integer(0, 5).default(2),
  C360_BREAKER_THRESHOLD: integer(1, 1000).default(5),
  C360_BREAKER_HALF_OPEN_MS: integer(10, 600_000).default(5_000),
  C360_SOURCE_CONCURRENCY: integer(1, 10_000).optional(),
  C360_SOURCE_QUEUE: integer(0, 1_000_000).default(1_000),
  C360_REQUIRED_SOURCES: sourceList.default(['singleview', 'resolution']),
  C360_READINESS_TIMEOUT_MS: integer(10, 60_000).default(1_000),

  C360_DEMO: booleanFlag.optional(),
  C360_DEMO_CUSTOMERS: integer(0, 1_000_000).default(1_000),
  C360_DEMO_SEED: integer(0, 2 ** 31).default(360),
  C360_API_KEY_CACHE_MS: integer(0, 3_600_000).default(5_000),
  C360_API_KEY_CACHE_SIZE: integer(0, 10_000_000).default(10_000),
  C360_API_KEY_NEGATIVE_CACHE_MS: integer(0, 3_600_000).default(30_000),
  C360_KEY_LOOKUP_CONCURRENCY: integer(1, 10_000).default(16),
  C360_KEY_LOOKUP_QUEUE: integer(0, 100_000).default(256),
  C360_AUTH_FAILURES_PER_MINUTE: integer(0, 1_000_000).default(30),
  C360_TRUST_PROXY: trustProxy.default(false),
  C360_PHONE_DEFAULT_REGION: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 alpha-2 code such as US').default('US'),
  C360_SHUTDOWN_GRACE_MS: integer(0, 600_000).default(10_000),
  C360_SHUTDOWN_DELAY_MS: integer(0, 600_000).default(0),

  // Hardening (docs/security.md): operation limits, trusted documents, rate limits, request hygiene.
  C360_MAX_DEPTH: integer(1, 100).default(10),
  C360_MAX_ALIASES: integer(0, 1_000).default(15),
  C360_MAX_ROOT_FIELDS: integer(1, 1_000).default(10),
  C360_MAX_TOKENS: integer(10, 100_000).default(1_000),
  C360_MAX_DIRECTIVES: integer(0, 1_000).default(20),
  C360_MAX_COST: integer(1, 100_000_000).default(5_000),
  C360_TRUSTED_DOCUMENTS_FILE: z.string().min(1).optional(),
  C360_APQ_CACHE_SIZE: integer(0, 1_000_000).default(1_000),
  C360_RATE_LIMIT_PER_MINUTE: integer(0, 100_000_000).default(1_200),
  // Admission control (docs/security.md, "Overload"): slots of operations executing at once; 0 = no limit.
  C360_MAX_CONCURRENT_OPERATIONS: integer(0, 100_000).default(DEFAULT_MAX_CONCURRENT_OPERATIONS),
  C360_ADMISSION_WAIT_MS: integer(0, 600_000).default(1_000),
  C360_ADMISSION_QUEUE_SIZE: integer(1, 1_000_000).default(1_024),
  C360_RATE_LIMIT_STORE: z.enum(['memory', 'dynamodb'], { error: 'expected memory or dynamodb' }).default('memory'),
  C360_RATE_LIMIT_FALLBACK_SHARE: z.coerce
    .number({ error: 'expected a number' })
    .min(0, { error: 'expected at least 0' })
    .max(1, { error: 'expected at most 1' })
    .default(0),
  C360_RATE_LIMIT_LEASE_MS: integer(10, 60_000).default(1_000),
  C360_BODY_LIMIT_BYTES: integer(1_024, 50 * 1024 * 1024).default(102_400),
  C360_CORS_ORIGINS: originList.default([]),
  C360_HEADERS_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  C360_BODY_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  C360_REQUEST_TIMEOUT_MS: integer(100, 3_600_000).default(30_000),
  C360_KEEP_ALIVE_TIMEOUT_MS: integer(100, 3_600_000).default(72_000),
  C360_PROCESS_METRICS_MS: integer(0, 3_600_000).default(0),
  /** An incoming W3C `traceparent`: `trust` makes it the parent of the request's span, `link` starts a new trace linked to it. */
  C360_TRACE_PARENT: z.enum(['trust', 'link'], { error: 'expected trust or link' }).default('trust'),
  /**
   * Key of the HMAC that keeps erased identifiers as suppression hashes (docs/erasure.md). Optional: without it a
   * key derived from C360_PSEUDONYM_KEY is used; set it to keep the list across a rotation of that key. Never echoed.
   */
  C360_SUPPRESSION_KEY: z
    .string()
    .superRefine((secret, ctx) => {
      const problem = pseudonymKeyProblem(secret);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),

  /** graphql-jit compiled operations (default) or graphql-js's own executor. */
  C360_EXECUTOR: z.enum(['jit', 'stock'], { error: 'expected jit or stock' }).default('jit'),

  C360_POLICY_FILE: z.string().min(1).optional(),
  C360_TRACKING_PLAN_FILE: z.string().min(1).optional(),
  /** The secret of `hash` pseudonyms (HMAC-SHA-256); required outside demo mode. Never echoed. */
  C360_PSEUDONYM_KEY: z
    .string()
    .superRefine((secret, ctx) => {
      const problem = pseudonymKeyProblem(secret);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
  C360_JWT_SECRET: jwtSecret.optional(),
  C360_TOKEN_MAX_AGE: durationSeconds.default(86_400),
  C360_CUSTOMER_TOKEN_CLAIM: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/, { error: 'expected a claim name such as sub' }).default('sub'),
  C360_CUSTOMER_TOKEN_IDENTITY: identityType.default('USER_ID'),
  C360_JWKS_URL: optionalUrl,
  C360_JWT_ISSUER: z.string().min(1).optional(),
  C360_JWT_AUDIENCE: z.string().min(1).optional(),

  /** Benchmark-only: latency added to every source call. */
  C360_INJECT_LATENCY_MS: integer(0, 10_000).default(0),
  C360_DATALOADER: booleanFlag.default(true),
  /** Unlocks the settings below, which make the gateway unfit for real data. */
  C360_BENCHMARK_MODE: booleanFlag.default(false),
  /** `memory`: every source served from in-process adapters over the demo data (benchmark only). */
  C360_SOURCES: z.enum(['configured', 'memory'], { error: 'expected configured or memory' }).default('configured'),
  /** Benchmark-only: `off` releases every personal field without policy, consent or audit. */
  C360_PRIVACY_ENFORCEMENT: z.enum(['on', 'off'], { error: 'expected on or off' }).default('on'),
}).superRefine((env, ctx) => {
  refineSourceEnv(env, ctx);
  if (env.C360_PRIVACY_ENFORCEMENT === 'off' && !env.C360_BENCHMARK_MODE) {
    ctx.addIssue({ code: 'custom', path: ['C360_PRIVACY_ENFORCEMENT'], message: 'off is refused unless C360_BENCHMARK_MODE=true (benchmarks only)' });
  }
  if (env.C360_PSEUDONYM_KEY === undefined && !demoEnabled(env)) {
    ctx.addIssue({
      code: 'custom',
      path: ['C360_PSEUDONYM_KEY'],
      message: 'required outside demo mode: the secret that keys hashed (pseudonymized) values and the suppression list; e.g. openssl rand -hex 32 (docs/privacy.md)',
    });
  }
  if (env.C360_METRICS_PORT !== undefined && env.C360_METRICS_PORT !== 0 && env.C360_METRICS_PORT === env.C360_PORT) {
    ctx.addIssue({ code: 'custom', path: ['C360_METRICS_PORT'], message: 'expected a port other than C360_PORT: /metrics is never served on the public listener' });
  }
  if (env.C360_METRICS_HOST !== undefined && env.C360_METRICS_PORT === undefined) {
    ctx.addIssue({ code: 'custom', path: ['C360_METRICS_HOST'], message: 'has no effect without C360_METRICS_PORT, which turns the metrics listener on' });
  }
  if (env.C360_REQUEST_TIMEOUT_MS < env.C360_HEADERS_TIMEOUT_MS) {
    ctx.addIssue({ code: 'custom', path: ['C360_REQUEST_TIMEOUT_MS'], message: 'expected at least C360_HEADERS_TIMEOUT_MS (the whole request includes its headers)' });
  }
  if (env.C360_SOURCES === 'memory' && !env.C360_BENCHMARK_MODE) {
    ctx.addIssue({ code: 'custom', path: ['C360_SOURCES'], message: 'memory is a benchmark-only setting; it needs C360_BENCHMARK_MODE=true' });
  }
});

export type Env = z.infer<typeof envSchema>;

/** Demo data and keys: on by default in embedded mode only. */
function demoEnabled(env: { readonly C360_DEMO?: boolean | undefined; readonly C360_DYNAMODB_ENDPOINT?: string | undefined }): boolean {
  return env.C360_DEMO ?? env.C360_DYNAMODB_ENDPOINT === undefined;
}

export type ResolutionConfig =
  | { readonly adapter: 'embedded' }
  | { readonly adapter: 'http'; readonly url: string; readonly credentials: HttpSourceCredentials }
  | {
      readonly adapter: 'aws-entity-resolution';
      readonly workflowName: string;
      readonly region: string;
      readonly endpoint: string | undefined;
      readonly fields: Partial<Record<IdentityType, string>>;
      readonly applyNormalization: boolean;
      /** Static credentials when none are configured and the endpoint is on loopback (a test server). */
      readonly localCredentials: boolean;
    };

export interface SourcePolicy {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly breakerThreshold: number;
  readonly halfOpenAfterMs: number;
  readonly injectedLatencyMs: number;
  /** Calls in flight to the source at once; more wait in a queue of `queue` (docs/security.md, "Floods"). */
  readonly concurrency: number;
  readonly queue: number;
}

/** First-party and identity-provider tokens (docs/security.md). */
export interface TokenSettings {
  /** HS256 shared secret (at least 32 characters). */
  readonly secret?: string | undefined;
  /** JWKS endpoint for asymmetric tokens (RS256, ES256, PS256, EdDSA). */
  readonly jwksUrl?: string | undefined;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  /** Longest lifetime accepted (exp − iat, and exp − now), in seconds. */
  readonly maxAgeSeconds: number;
  /** Customer tokens: the claim that carries the login the identity provider verified, and the identity type it is. */
  readonly customerClaim: string;
  readonly customerIdentity: IdentityType;
}

export interface GatewayConfig {
  readonly host: string;
  readonly port: number;
  /** Directory for embedded data, or undefined for memory only. */
  readonly dataDir: string | undefined;
  readonly logLevel: Env['C360_LOG_LEVEL'];
  readonly dynamodb: {
    readonly endpoint?: string | undefined;
    readonly region: string;
    readonly tablePrefix: string;
    /** Static credentials when none are configured and the endpoint is local (dynalite). */
    readonly localCredentials: boolean;
    /** false: the tables must exist (deploy/aws/); the gateway checks them instead of creating them. */
    readonly createTables: boolean;
    /** Expiry of audit records, idempotency keys and events (docs/configuration.md, "Retention"). */
    readonly retention: Retention;
  };
  /** The CRM on MongoDB: its URL (may hold credentials: never logged), database and field mapping. */
  readonly mongodb: { readonly url: string; readonly database: string; readonly mapping: CrmMapping } | undefined;
  readonly loyaltyUrl: string | undefined;
  /** Static headers and client certificate for the HTTP loyalty service (secrets: never logged). */
  readonly loyaltyCredentials: HttpSourceCredentials;
  readonly resolutionUrl: string | undefined;
  readonly resolution: ResolutionConfig;
  /** Identity resolution rules: priority order and per-type limits. */
  readonly identity: IdentityPolicy;
  /** Segment definitions file; the bundled config/segments.json when undefined. */
  readonly segmentsFile: string | undefined;
  /** Customer records the write path keeps in memory to make `track` cheap (0 turns it off). */
  readonly writeCacheSize: number;
  /** Whether this process runs the background job worker (docs/architecture.md "Background jobs"). */
  readonly jobsWorker: boolean;
  /**
   * Milliseconds between rounds of the in-process segments worker (outbox,
   * due customers, backfill: docs/segments.md); 0 turns it off. Default 5000
   * on the embedded default, 0 with an external DynamoDB (run it on one
   * instance, or feed the index from DynamoDB Streams).
   */
  readonly segmentsWorkerMs: number;
  /** The probabilistic matcher over the single view (docs/identity-resolution.md, "Merge suggestions from the matcher"). */
  readonly matching: {
    /** The model file; the shipped config/match-model.json when undefined. */
    readonly modelFile: string | undefined;
    /** Score each identify against its blocked candidates and store suggestions. */
    readonly online: boolean;
    /** Merge without review at or above this probability; null: never (the default). */
    readonly autoMerge: number | null;
    readonly indexLimit: number;
  };
  readonly sources: Readonly<Record<SourceName, SourcePolicy>>;
  readonly requiredSources: readonly SourceName[];
  readonly readinessTimeoutMs: number;
  /** Embedded demo mode: dynalite in process, demo data and demo keys. */
  readonly embedded: boolean;
  /** Demo data and demo keys; on by default only in embedded mode. */
  readonly demo: { readonly enabled: boolean; readonly customers: number; readonly seed: number };
  readonly apiKeyCacheMs: number;
  /** Key lookups: their own cache, negative cache and concurrency budget (docs/security.md, "Floods"). */
  readonly keyLookups: {
    readonly cacheSize: number;
    readonly negativeCacheMs: number;
    readonly concurrency: number;
    readonly queue: number;
  };
  readonly phoneDefaultRegion: string;
  readonly shutdownGraceMs: number;
  /** After SIGTERM, how long the listener stays open answering 503 (readiness too) before it closes. */
  readonly shutdownDelayMs: number;
  readonly batching: boolean;
  readonly executor: Env['C360_EXECUTOR'];
  /** Benchmark only: all sources in memory, no dynalite (C360_SOURCES=memory). */
  readonly memorySources: boolean;
  /** Policy file path; the shipped config/policy.json when undefined. */
  readonly policyFile: string | undefined;
  /** Tracking plan path; the shipped config/tracking-plan.json when undefined. */
  readonly trackingPlanFile: string | undefined;
  /** The secret of `hash` pseudonyms; undefined only in demo mode (a random key is made, src/privacy/pseudonym.ts). */
  readonly pseudonymKey: string | undefined;
  readonly tokens: TokenSettings;
  /** False only in benchmark mode, to measure what enforcement and audit cost. */
  readonly privacyEnforcement: boolean;
  readonly hardening: HardeningConfig;
  /** How often the process logs RSS, heap and event-loop delay; 0 = never. */
  readonly processMetricsMs: number;
  /** The Prometheus metrics listener (GET /metrics), apart from the public one; undefined: off. */
  readonly metrics: { readonly host: string; readonly port: number } | undefined;
  /** What an incoming `traceparent` becomes: the parent of the request's span, or a link from a new trace. */
  readonly traceParent: 'trust' | 'link';
  /** C360_SUPPRESSION_KEY: the suppression list's HMAC key when set; else derived from the pseudonym key (src/erasure/suppression.ts). */
  readonly suppressionKey: string | undefined;
}

/** docs/security.md: each protection and its default. */
export interface HardeningConfig {
  readonly limits: OperationLimits;
  /** Manifest of trusted documents (sha256 → document). */
  readonly trustedDocumentsFile: string | undefined;
  /** Documents first-party clients registered by automatic persisted queries (per instance). */
  readonly apqCacheSize: number;
  /** Requests per minute per principal when its key sets none; 0 = no default limit. */
  readonly rateLimitPerMinute: number;
  readonly rateLimitStore: 'memory' | 'dynamodb';
  readonly admission: AdmissionSettings;
  /** Share of each budget one instance admits per window while the store is unavailable (0 = refuse). */
  readonly rateLimitFallbackShare: number;
  /** How long a leased block of tokens should last at a principal's pace on one instance. */
  readonly rateLimitLeaseMs: number;
  readonly bodyLimitBytes: number;
  readonly corsOrigins: readonly string[];
  /** Failed authentications per minute per client address before it is refused (0 = no limit). */
  readonly authFailuresPerMinute: number;
  /** Fastify's trustProxy: whose X-Forwarded-For names the client address. */
  readonly trustProxy: boolean | number | readonly string[];
  readonly connections: ConnectionTimeouts;
}

/** Admission control (docs/security.md, "Overload"). */
export interface AdmissionSettings {
  /** Slots of operations executing at once (a batch holds one per 25 customers); 0 = no limit. */
  readonly maxConcurrent: number;
  /** How long an operation may wait for a slot before it is answered 503 OVERLOADED. */
  readonly waitMs: number;
  /** Operations waiting at most, all principals together. */
  readonly queueSize: number;
}

/** How long a client may take over each part of a request (docs/security.md, "Slow clients"). */
export interface ConnectionTimeouts {
  readonly headersMs: number;
  readonly bodyMs: number;
  readonly requestMs: number;
  readonly keepAliveMs: number;
}

export interface OperationLimits {
  readonly depth: number;
  readonly aliases: number;
  readonly rootFields: number;
  readonly tokens: number;
  readonly directives: number;
  readonly cost: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${String(issue.path[0] ?? '(environment)')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}\nSee docs/configuration.md.`);
  }
  return toGatewayConfig(result.data);
}

/**
 * Calls in flight per source: 64, but 16 into the embedded dynalite (the
 * single view, and the embedded resolution engine that reads it), which
 * answers on one thread: more would only queue inside it, where the wait
 * counts against the breaker, instead of in the guard, where it does not.
 */
function defaultConcurrency(env: Env, source: SourceName): number {
  const embeddedDynalite = env.C360_DYNAMODB_ENDPOINT === undefined && env.C360_SOURCES !== 'memory';
  const readsDynalite = source === 'singleview' || (source === 'resolution' && !env.C360_RESOLUTION_URL && !env.C360_AWS_ER_WORKFLOW);
  return embeddedDynalite && readsDynalite ? 16 : 64;
}

function toGatewayConfig(env: Env): GatewayConfig {
  const connections = sourceConnections(env);
  const policy = (timeout: number | undefined, source: SourceName): SourcePolicy => ({
    timeoutMs: timeout ?? env.C360_SOURCE_TIMEOUT_MS,
    retries: env.C360_SOURCE_RETRIES,
    breakerThreshold: env.C360_BREAKER_THRESHOLD,
    halfOpenAfterMs: env.C360_BREAKER_HALF_OPEN_MS,
    injectedLatencyMs: env.C360_INJECT_LATENCY_MS,
    concurrency: env.C360_SOURCE_CONCURRENCY ?? defaultConcurrency(env, source),
    queue: env.C360_SOURCE_QUEUE,
  });
  return {
    host: env.C360_HOST,
    port: env.C360_PORT,
    dataDir: env.C360_DATA_DIR === 'memory' ? undefined : env.C360_DATA_DIR,
    logLevel: env.C360_LOG_LEVEL,
    dynamodb: {
      endpoint: env.C360_DYNAMODB_ENDPOINT,
      region: env.AWS_REGION,
      tablePrefix: env.C360_DYNAMODB_TABLE_PREFIX,
      localCredentials: !env.AWS_ACCESS_KEY_ID && isLoopback(env.C360_DYNAMODB_ENDPOINT),
      createTables: env.C360_CREATE_TABLES,
      retention: {
        auditDays: env.C360_AUDIT_RETENTION_DAYS,
        idempotencyDays: env.C360_IDEMPOTENCY_RETENTION_DAYS,
        eventDays: env.C360_EVENT_RETENTION_DAYS,
      },
    },
    mongodb: env.C360_MONGODB_URL ? { url: env.C360_MONGODB_URL, database: env.C360_MONGODB_DATABASE, mapping: connections.crmMapping } : undefined,
    loyaltyUrl: env.C360_LOYALTY_URL,
    loyaltyCredentials: connections.loyalty,
    resolutionUrl: env.C360_RESOLUTION_URL,
    resolution: resolutionConfig(env, connections.resolution),
    identity: { priority: env.C360_IDENTITY_PRIORITY, limits: env.C360_IDENTITY_LIMITS, blocked: env.C360_IDENTITY_BLOCKLIST ?? DEFAULT_IDENTITY_POLICY.blocked },
    segmentsFile: env.C360_SEGMENTS_FILE,
    writeCacheSize: env.C360_WRITE_CACHE_SIZE,
    jobsWorker: env.C360_JOBS_WORKER,
    segmentsWorkerMs: env.C360_SEGMENTS_WORKER_MS ?? (env.C360_DYNAMODB_ENDPOINT === undefined && env.C360_SOURCES !== 'memory' ? 5000 : 0),
    matching: { modelFile: env.C360_MATCH_MODEL_FILE, online: env.C360_MATCH_ONLINE, autoMerge: env.C360_MATCH_AUTO_MERGE, indexLimit: env.C360_MATCH_INDEX_LIMIT },
    sources: {
      singleview: policy(env.C360_SINGLEVIEW_TIMEOUT_MS, 'singleview'),
      crm: policy(env.C360_CRM_TIMEOUT_MS, 'crm'),
      loyalty: policy(env.C360_LOYALTY_TIMEOUT_MS, 'loyalty'),
      resolution: policy(env.C360_RESOLUTION_TIMEOUT_MS, 'resolution'),
    },
    requiredSources: env.C360_REQUIRED_SOURCES,
    readinessTimeoutMs: env.C360_READINESS_TIMEOUT_MS,
    embedded: env.C360_DYNAMODB_ENDPOINT === undefined,
    demo: {
      enabled: demoEnabled(env),
      customers: env.C360_DEMO_CUSTOMERS,
      seed: env.C360_DEMO_SEED,
    },
    apiKeyCacheMs: env.C360_API_KEY_CACHE_MS,
    keyLookups: {
      cacheSize: env.C360_API_KEY_CACHE_SIZE,
      negativeCacheMs: env.C360_API_KEY_NEGATIVE_CACHE_MS,
      concurrency: env.C360_KEY_LOOKUP_CONCURRENCY,
      queue: env.C360_KEY_LOOKUP_QUEUE,
    },
    phoneDefaultRegion: env.C360_PHONE_DEFAULT_REGION,
    shutdownGraceMs: env.C360_SHUTDOWN_GRACE_MS,
    shutdownDelayMs: env.C360_SHUTDOWN_DELAY_MS,
    batching: env.C360_DATALOADER,
    executor: env.C360_EXECUTOR,
    memorySources: env.C360_SOURCES === 'memory',
    hardening: {
      limits: {
        depth: env.C360_MAX_DEPTH,
        aliases: env.C360_MAX_ALIASES,
        rootFields: env.C360_MAX_ROOT_FIELDS,
        tokens: env.C360_MAX_TOKENS,
        directives: env.C360_MAX_DIRECTIVES,
        cost: env.C360_MAX_COST,
      },
      trustedDocumentsFile: env.C360_TRUSTED_DOCUMENTS_FILE,
      apqCacheSize: env.C360_APQ_CACHE_SIZE,
      rateLimitPerMinute: env.C360_RATE_LIMIT_PER_MINUTE,
      rateLimitStore: env.C360_RATE_LIMIT_STORE,
      admission: {
        maxConcurrent: env.C360_MAX_CONCURRENT_OPERATIONS,
        waitMs: env.C360_ADMISSION_WAIT_MS,
        queueSize: env.C360_ADMISSION_QUEUE_SIZE,
      },
      rateLimitFallbackShare: env.C360_RATE_LIMIT_FALLBACK_SHARE,
      rateLimitLeaseMs: env.C360_RATE_LIMIT_LEASE_MS,
      bodyLimitBytes: env.C360_BODY_LIMIT_BYTES,
      corsOrigins: env.C360_CORS_ORIGINS,
      authFailuresPerMinute: env.C360_AUTH_FAILURES_PER_MINUTE,
      trustProxy: env.C360_TRUST_PROXY,
      connections: {
        headersMs: env.C360_HEADERS_TIMEOUT_MS,
        bodyMs: env.C360_BODY_TIMEOUT_MS,
        requestMs: env.C360_REQUEST_TIMEOUT_MS,
        keepAliveMs: env.C360_KEEP_ALIVE_TIMEOUT_MS,
      },
    },
    processMetricsMs: env.C360_PROCESS_METRICS_MS,
    metrics: env.C360_METRICS_PORT === undefined ? undefined : { host: env.C360_METRICS_HOST ?? env.C360_HOST, port: env.C360_METRICS_PORT },
    traceParent: env.C360_TRACE_PARENT,
    suppressionKey: env.C360_SUPPRESSION_KEY,
    policyFile: env.C360_POLICY_FILE,
    trackingPlanFile: env.C360_TRACKING_PLAN_FILE,
    pseudonymKey: env.C360_PSEUDONYM_KEY,
    tokens: {
      secret: env.C360_JWT_SECRET,
      jwksUrl: env.C360_JWKS_URL,
      issuer: env.C360_JWT_ISSUER,
      audience: env.C360_JWT_AUDIENCE,
      maxAgeSeconds: env.C360_TOKEN_MAX_AGE,
      customerClaim: env.C360_CUSTOMER_TOKEN_CLAIM,
      customerIdentity: env.C360_CUSTOMER_TOKEN_IDENTITY,
    },
    privacyEnforcement: env.C360_PRIVACY_ENFORCEMENT === 'on',
  };
}

/**
 * The resolution adapter: named by C360_RESOLUTION_ADAPTER, or implied by
 * C360_RESOLUTION_URL (http) or C360_AWS_ER_WORKFLOW (AWS Entity Resolution).
 */
function resolutionConfig(env: Env, credentials: HttpSourceCredentials): ResolutionConfig {
  const adapter =
    env.C360_RESOLUTION_ADAPTER ?? (env.C360_RESOLUTION_URL ? 'http' : env.C360_AWS_ER_WORKFLOW ? 'aws-entity-resolution' : 'embedded');
  switch (adapter) {
    case 'embedded':
      return { adapter };
    case 'http':
      if (!env.C360_RESOLUTION_URL) throw new ConfigError('Invalid configuration:\n  C360_RESOLUTION_URL: required by C360_RESOLUTION_ADAPTER=http');
      return { adapter, url: env.C360_RESOLUTION_URL, credentials };
    case 'aws-entity-resolution':
      if (!env.C360_AWS_ER_WORKFLOW) {
        throw new ConfigError('Invalid configuration:\n  C360_AWS_ER_WORKFLOW: required by C360_RESOLUTION_ADAPTER=aws-entity-resolution');
      }
      return {
        adapter,
        workflowName: env.C360_AWS_ER_WORKFLOW,
        region: env.AWS_REGION,
        endpoint: env.C360_AWS_ER_ENDPOINT,
        fields: env.C360_AWS_ER_FIELDS,
        applyNormalization: env.C360_AWS_ER_NORMALIZE,
        localCredentials: !env.AWS_ACCESS_KEY_ID && env.C360_AWS_ER_ENDPOINT !== undefined && isLoopback(env.C360_AWS_ER_ENDPOINT),
      };
  }
}

function isLoopback(endpoint: string | undefined): boolean {
  if (endpoint === undefined) return true;
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

/** Config for tests and tools: the defaults, with overrides given as environment variables. */
export function configFrom(overrides: Record<string, string | undefined>): GatewayConfig {
  return loadConfig(overrides as NodeJS.ProcessEnv);
}
