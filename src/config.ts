import { z } from 'zod';

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

const sourceList = z
  .string()
  .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.enum(SOURCE_NAMES, { error: `expected a comma-separated list of ${SOURCE_NAMES.join(', ')}` })));

export const envSchema = z.object({
  C360_HOST: z.string().min(1).default('127.0.0.1'),
  C360_PORT: integer(0, 65_535).default(4000),
  C360_DATA_DIR: z.string().min(1).default('./.c360-data'),
  C360_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  C360_DYNAMODB_ENDPOINT: optionalUrl,
  C360_DYNAMODB_TABLE_PREFIX: z.string().regex(/^[A-Za-z0-9_.-]{0,200}$/, 'expected letters, digits, _ . -').default('c360_'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ACCESS_KEY_ID: z.string().optional(),
  C360_MONGODB_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, 'expected a mongodb:// or mongodb+srv:// URL').optional(),
  C360_MONGODB_DATABASE: z.string().min(1).default('c360'),
  C360_LOYALTY_URL: optionalUrl,
  C360_RESOLUTION_URL: optionalUrl,

  C360_SOURCE_TIMEOUT_MS: integer(1, 60_000).default(300),
  C360_SINGLEVIEW_TIMEOUT_MS: integer(1, 60_000).optional(),
  C360_CRM_TIMEOUT_MS: integer(1, 60_000).optional(),
  C360_LOYALTY_TIMEOUT_MS: integer(1, 60_000).optional(),
  C360_RESOLUTION_TIMEOUT_MS: integer(1, 60_000).optional(),
  C360_SOURCE_RETRIES: integer(0, 5).default(2),
  C360_BREAKER_THRESHOLD: integer(1, 1000).default(5),
  C360_BREAKER_HALF_OPEN_MS: integer(10, 600_000).default(5_000),
  C360_REQUIRED_SOURCES: sourceList.default(['singleview', 'resolution']),
  C360_READINESS_TIMEOUT_MS: integer(10, 60_000).default(1_000),

  C360_DEMO: booleanFlag.optional(),
  C360_DEMO_CUSTOMERS: integer(0, 1_000_000).default(1_000),
  C360_DEMO_SEED: integer(0, 2 ** 31).default(360),
  C360_API_KEY_CACHE_MS: integer(0, 3_600_000).default(5_000),
  C360_PHONE_DEFAULT_REGION: z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166 alpha-2 code such as US').default('US'),
  C360_SHUTDOWN_GRACE_MS: integer(0, 600_000).default(10_000),

  C360_POLICY_FILE: z.string().min(1).optional(),
  C360_JWT_SECRET: z.string().min(32, { error: 'expected at least 32 characters for an HS256 secret' }).optional(),
  C360_JWKS_URL: optionalUrl,
  C360_JWT_ISSUER: z.string().min(1).optional(),
  C360_JWT_AUDIENCE: z.string().min(1).optional(),

  /** Benchmark-only: latency added to every source call. */
  C360_INJECT_LATENCY_MS: integer(0, 10_000).default(0),
  C360_DATALOADER: booleanFlag.default(true),
  /** Must be on for C360_PRIVACY_ENFORCEMENT=off: a setting that only a benchmark may use. */
  C360_BENCHMARK_MODE: booleanFlag.default(false),
  /** Benchmark-only: `off` releases every personal field without policy, consent or audit. */
  C360_PRIVACY_ENFORCEMENT: z.enum(['on', 'off'], { error: 'expected on or off' }).default('on'),
}).superRefine((env, ctx) => {
  if (env.C360_PRIVACY_ENFORCEMENT === 'off' && !env.C360_BENCHMARK_MODE) {
    ctx.addIssue({ code: 'custom', path: ['C360_PRIVACY_ENFORCEMENT'], message: 'off is refused unless C360_BENCHMARK_MODE=true (benchmarks only)' });
  }
});

export type Env = z.infer<typeof envSchema>;

export interface SourcePolicy {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly breakerThreshold: number;
  readonly halfOpenAfterMs: number;
  readonly injectedLatencyMs: number;
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
  };
  readonly mongodb: { readonly url: string; readonly database: string } | undefined;
  readonly loyaltyUrl: string | undefined;
  readonly resolutionUrl: string | undefined;
  readonly sources: Readonly<Record<SourceName, SourcePolicy>>;
  readonly requiredSources: readonly SourceName[];
  readonly readinessTimeoutMs: number;
  /** Embedded demo mode: dynalite in process, demo data and demo keys. */
  readonly embedded: boolean;
  /** Demo data and demo keys; on by default only in embedded mode. */
  readonly demo: { readonly enabled: boolean; readonly customers: number; readonly seed: number };
  readonly apiKeyCacheMs: number;
  readonly phoneDefaultRegion: string;
  readonly shutdownGraceMs: number;
  readonly batching: boolean;
  /** Policy file path; the shipped config/policy.json when undefined. */
  readonly policyFile: string | undefined;
  readonly tokens: {
    readonly secret?: string | undefined;
    readonly jwksUrl?: string | undefined;
    readonly issuer?: string | undefined;
    readonly audience?: string | undefined;
  };
  /** False only in benchmark mode, to measure what enforcement and audit cost. */
  readonly privacyEnforcement: boolean;
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

function toGatewayConfig(env: Env): GatewayConfig {
  const policy = (timeout: number | undefined): SourcePolicy => ({
    timeoutMs: timeout ?? env.C360_SOURCE_TIMEOUT_MS,
    retries: env.C360_SOURCE_RETRIES,
    breakerThreshold: env.C360_BREAKER_THRESHOLD,
    halfOpenAfterMs: env.C360_BREAKER_HALF_OPEN_MS,
    injectedLatencyMs: env.C360_INJECT_LATENCY_MS,
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
    },
    mongodb: env.C360_MONGODB_URL ? { url: env.C360_MONGODB_URL, database: env.C360_MONGODB_DATABASE } : undefined,
    loyaltyUrl: env.C360_LOYALTY_URL,
    resolutionUrl: env.C360_RESOLUTION_URL,
    sources: {
      singleview: policy(env.C360_SINGLEVIEW_TIMEOUT_MS),
      crm: policy(env.C360_CRM_TIMEOUT_MS),
      loyalty: policy(env.C360_LOYALTY_TIMEOUT_MS),
      resolution: policy(env.C360_RESOLUTION_TIMEOUT_MS),
    },
    requiredSources: env.C360_REQUIRED_SOURCES,
    readinessTimeoutMs: env.C360_READINESS_TIMEOUT_MS,
    embedded: env.C360_DYNAMODB_ENDPOINT === undefined,
    demo: {
      enabled: env.C360_DEMO ?? env.C360_DYNAMODB_ENDPOINT === undefined,
      customers: env.C360_DEMO_CUSTOMERS,
      seed: env.C360_DEMO_SEED,
    },
    apiKeyCacheMs: env.C360_API_KEY_CACHE_MS,
    phoneDefaultRegion: env.C360_PHONE_DEFAULT_REGION,
    shutdownGraceMs: env.C360_SHUTDOWN_GRACE_MS,
    batching: env.C360_DATALOADER,
    policyFile: env.C360_POLICY_FILE,
    tokens: { secret: env.C360_JWT_SECRET, jwksUrl: env.C360_JWKS_URL, issuer: env.C360_JWT_ISSUER, audience: env.C360_JWT_AUDIENCE },
    privacyEnforcement: env.C360_PRIVACY_ENFORCEMENT === 'on',
  };
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
