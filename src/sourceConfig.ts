import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CASE_FIELDS, CONTACT_FIELDS, DEFAULT_CRM_MAPPING, FIELD_PATH, projectedPaths, projectionCollision } from '../connectors/crm/mapping.js';
import type { CrmMapping } from '../connectors/crm/mapping.js';
import type { HttpSourceCredentials } from '../connectors/shared/httpSource.js';

/**
 * Settings for reaching systems that were never built for c360
 * (docs/integration.md): where the CRM keeps its contacts in MongoDB and how
 * its fields are named, and the credentials for the HTTP sources (static
 * headers, client certificates). Part of the one environment schema in
 * src/config.ts; messages name the variable and never quote a value, since
 * several of these are secrets.
 */
const fieldPath = z.string().regex(FIELD_PATH, { error: 'expected a field path such as owner.name (letters, digits, _ and -, dot-separated)' });

/** `port=path,port=path`: the CRM's name for each field the gateway reads; fields left out keep their default. */
function fieldPairs<F extends string>(fields: readonly F[]) {
  return z
    .string()
    .transform((value) => value.split(',').map((s) => s.trim()).filter(Boolean).map((pair) => pair.split('=').map((part) => part.trim())))
    .pipe(
      z.array(
        z.tuple([z.enum(fields as unknown as [F, ...F[]], { error: `expected fields among ${fields.join(', ')}` }), fieldPath], {
          error: 'expected field=path pairs, comma-separated',
        }),
      ),
    )
    .transform((pairs) => Object.fromEntries(pairs) as Partial<Record<F, string>>);
}

/** A file read at start (certificates, keys, header files); the message says why it could not be read, never what it holds. */
const fileContents = z
  .string()
  .min(1)
  .transform((path, ctx) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})` });
      return z.NEVER;
    }
  });

/** Headers the adapters set themselves, or that would change how HTTP itself works. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'accept', 'connection', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer', 'traceparent', 'tracestate', 'expect']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]{0,8192}$/;

/** `{"authorization": "Bearer …"}`: a JSON object of header names and values. */
const headerObject = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object of header names and values, e.g. {"authorization": "Bearer …"}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(z.string(), z.unknown(), { error: 'expected a JSON object of header names and values' }).transform((headers, ctx) => {
      const valid: Record<string, string> = {};
      for (const [name, value] of Object.entries(headers)) {
        const lower = name.toLowerCase();
        if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', message: 'a header name is not a valid HTTP token' });
        else if (RESERVED_HEADERS.has(lower)) ctx.addIssue({ code: 'custom', message: `header ${lower} is set by the gateway itself` });
        else if (typeof value !== 'string' || !HEADER_VALUE.test(value)) ctx.addIssue({ code: 'custom', message: `the value of header ${lower} must be a string without line breaks` });
        else valid[lower] = value;
      }
      return valid;
    }),
  );

const headersFile = fileContents.pipe(headerObject);

export const SOURCE_ENV = {
  C360_CRM_COLLECTION: z
    .string()
    .regex(/^(?!system\.)[^$\u0000]{1,120}$/, { error: 'expected a collection name (no $, not system.*)' })
    .default(DEFAULT_CRM_MAPPING.collection),
  C360_CRM_ID_FIELD: fieldPath.default(DEFAULT_CRM_MAPPING.idField),
  C360_CRM_ID_TYPE: z.enum(['string', 'objectId', 'number'], { error: 'expected string, objectId or number' }).default(DEFAULT_CRM_MAPPING.idType),
  C360_CRM_FIELDS: fieldPairs(CONTACT_FIELDS).optional(),
  C360_CRM_CASE_FIELDS: fieldPairs(CASE_FIELDS).optional(),
  C360_CRM_CLOSED_STATUSES: z
    .string()
    .transform((value) => value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))
    .default([...DEFAULT_CRM_MAPPING.closedStatuses]),
  C360_LOYALTY_HEADERS: headerObject.optional(),
  C360_LOYALTY_HEADERS_FILE: headersFile.optional(),
  C360_LOYALTY_TLS_CERT_FILE: fileContents.optional(),
  C360_LOYALTY_TLS_KEY_FILE: fileContents.optional(),
  C360_LOYALTY_TLS_CA_FILE: fileContents.optional(),
  C360_RESOLUTION_HEADERS: headerObject.optional(),
  C360_RESOLUTION_HEADERS_FILE: headersFile.optional(),
  C360_RESOLUTION_TLS_CERT_FILE: fileContents.optional(),
  C360_RESOLUTION_TLS_KEY_FILE: fileContents.optional(),
  C360_RESOLUTION_TLS_CA_FILE: fileContents.optional(),
};

export type SourceEnv = z.output<z.ZodObject<typeof SOURCE_ENV>>;

export interface SourceConnections {
  readonly crmMapping: CrmMapping;
  readonly loyalty: HttpSourceCredentials;
  readonly resolution: HttpSourceCredentials;
}

export function sourceConnections(env: SourceEnv): SourceConnections {
  return { crmMapping: crmMapping(env), loyalty: credentials(env, 'C360_LOYALTY'), resolution: credentials(env, 'C360_RESOLUTION') };
}

function crmMapping(env: SourceEnv): CrmMapping {
  return {
    collection: env.C360_CRM_COLLECTION,
    idField: env.C360_CRM_ID_FIELD,
    idType: env.C360_CRM_ID_TYPE,
    fields: { ...DEFAULT_CRM_MAPPING.fields, ...env.C360_CRM_FIELDS },
    caseFields: { ...DEFAULT_CRM_MAPPING.caseFields, ...env.C360_CRM_CASE_FIELDS },
    closedStatuses: env.C360_CRM_CLOSED_STATUSES,
  };
}

function credentials(env: SourceEnv, prefix: 'C360_LOYALTY' | 'C360_RESOLUTION'): HttpSourceCredentials {
  const headers = env[`${prefix}_HEADERS`] ?? env[`${prefix}_HEADERS_FILE`];
  const cert = env[`${prefix}_TLS_CERT_FILE`];
  const key = env[`${prefix}_TLS_KEY_FILE`];
  const ca = env[`${prefix}_TLS_CA_FILE`];
  return { headers, tls: cert || key || ca ? { cert, key, ca } : undefined };
}

/** Checks across variables; each issue names the variable to fix. */
export function refineSourceEnv(env: SourceEnv, ctx: z.RefinementCtx): void {
  for (const prefix of ['C360_LOYALTY', 'C360_RESOLUTION'] as const) {
    if (env[`${prefix}_HEADERS`] !== undefined && env[`${prefix}_HEADERS_FILE`] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [`${prefix}_HEADERS_FILE`], message: `give ${prefix}_HEADERS or ${prefix}_HEADERS_FILE, not both` });
    }
    if ((env[`${prefix}_TLS_CERT_FILE`] === undefined) !== (env[`${prefix}_TLS_KEY_FILE`] === undefined)) {
      ctx.addIssue({ code: 'custom', path: [`${prefix}_TLS_KEY_FILE`], message: `a client certificate needs both ${prefix}_TLS_CERT_FILE and ${prefix}_TLS_KEY_FILE` });
    }
  }
  const collision = projectionCollision(projectedPaths(crmMapping(env)));
  if (collision) {
    ctx.addIssue({ code: 'custom', path: ['C360_CRM_FIELDS'], message: `the paths ${collision[0]} and ${collision[1]} overlap; MongoDB cannot project both` });
  }
}
