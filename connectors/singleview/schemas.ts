import { z } from 'zod';
import { malformedPayload } from '../resilience/sourceError.js';
import { CONSENT_STATUSES, ERASURE_STATUSES, IDENTITY_TYPES, PURPOSES, SUGGESTION_ORIGINS, SUGGESTION_STATUSES } from '../../src/domain/index.js';
import { decodeFieldDecisions, inflateFieldDecisions } from './auditFields.js';

/**
 * zod schemas for what comes back from the single view store. Items are
 * checked on the way in, so the rest of the gateway can trust the types.
 */
export const identityTypeSchema = z.enum(IDENTITY_TYPES);
export const purposeSchema = z.enum(PURPOSES);
export const consentStatusSchema = z.enum(CONSENT_STATUSES);

const nullableString = z.string().nullish();

export const identityRecordSchema = z.object({
  type: identityTypeSchema,
  value: z.string(),
  source: z.string(),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  verified: z.boolean().optional(),
});

export const consentRecordSchema = z.object({
  purpose: purposeSchema,
  status: consentStatusSchema,
  channel: nullableString,
  updatedAt: z.string(),
  source: z.string(),
  origin: nullableString,
});

const viaFactsSchema = z.object({
  orderCount: z.number().int().default(0),
  lifetimeValue: z.number().nullish(),
  firstSeenAt: nullableString,
  lastSeenAt: nullableString,
  lastEventAt: z.record(z.string(), z.string()).default({}),
});

const splitMarkerSchema = z.object({
  from: z.string(),
  into: z.string(),
  keys: z.array(z.string()),
  origins: z.array(z.string()).default([]),
  startedAt: z.string(),
  note: nullableString,
  principal: nullableString,
  traceId: nullableString,
});

const membershipSchema = z.object({ segmentId: z.string(), since: z.string() });

export const customerItemSchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  profile: z
    .object({
      firstName: nullableString,
      lastName: nullableString,
      email: nullableString,
      phone: nullableString,
      birthDate: nullableString,
      address: z
        .object({ line1: nullableString, city: nullableString, postalCode: nullableString, country: nullableString })
        .nullish(),
    })
    .default({}),
  identities: z.array(identityRecordSchema).default([]),
  consents: z.array(consentRecordSchema).default([]),
  segments: z.array(membershipSchema).default([]),
  traits: z
    .object({
      lifetimeValue: z.number().nullish(),
      orderCount: z.number().int().default(0),
      firstSeenAt: nullableString,
      lastSeenAt: nullableString,
    })
    .default({ orderCount: 0 }),
  mergedInto: nullableString,
  aliases: z.array(z.string()).default([]),
  mergeState: z.enum(['pending', 'committed', 'done']).nullish(),
  mergeStartedAt: nullableString,
  lastEventAt: z.record(z.string(), z.string()).default({}),
  viaFacts: z.record(z.string(), viaFactsSchema).optional(),
  split: splitMarkerSchema.nullish(),
  splitFrom: nullableString,
  splitOrigins: z.array(z.string()).optional(),
  version: z.number().int().default(0),
  writeToken: nullableString,
  segmentIndex: z.object({ key: z.string(), dueAt: nullableString }).nullish(),
  activityRevision: z.number().int().optional(),
});

export const eventItemSchema = z.object({
  id: z.string(),
  customerId: z.string(),
  type: z.string(),
  occurredAt: z.string(),
  receivedAt: z.string(),
  channel: nullableString,
  source: z.string(),
  properties: z.record(z.string(), z.unknown()).nullish(),
  via: nullableString,
});

export const mergeLinkSchema = z.object({
  id: z.string(),
  mergedInto: nullableString,
  mergeState: z.enum(['pending', 'committed', 'done']).nullish(),
});

export const idempotencyItemSchema = z.object({
  key: z.string(),
  eventId: z.string(),
  customerId: z.string(),
  occurredAt: z.string(),
  claimedAt: z.string(),
  expiresAt: z.number(),
  payloadHash: z.string().optional(),
});

export const consentChangeItemSchema = z.object({
  customerId: z.string(),
  id: z.string(),
  purpose: purposeSchema,
  status: consentStatusSchema,
  channel: nullableString,
  source: z.string(),
  at: z.string(),
  note: nullableString,
  origin: nullableString,
  principal: nullableString,
  traceId: nullableString,
});

export const identityLogItemSchema = z.object({
  customerId: z.string(),
  id: z.string(),
  at: z.string(),
  kind: z.enum(['create', 'link', 'merge', 'reject', 'abort', 'unmerge']),
  rule: z.string(),
  identityKeys: z.array(z.string()).default([]),
  otherCustomerId: nullableString,
  principal: nullableString,
  traceId: nullableString,
  anchorKey: nullableString,
  otherKey: nullableString,
  undo: z.object({ createdAt: z.string(), segments: z.array(membershipSchema), filledFields: z.array(z.string()) }).nullish(),
  note: nullableString,
});

const erasureStatusSchema = z.enum(ERASURE_STATUSES);

export const erasureJobItemSchema = z.object({
  customerId: z.string(),
  canonicalId: z.string(),
  requestedAt: z.string(),
  updatedAt: z.string(),
  customerIds: z.array(z.string()),
  sources: z.record(
    z.string(),
    z.object({
      status: erasureStatusSchema,
      detail: nullableString,
      at: z.string(),
      progress: z
        .object({ itemsDeleted: z.number().int(), customerIdsDone: z.number().int(), customerIdsTotal: z.number().int(), updatedAt: z.string(), completedAt: nullableString })
        .nullish(),
    }),
  ),
  completedAt: nullableString,
});

const jobSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('erase-history'), customerIds: z.array(z.string()), found: z.number().int() }),
  z.object({ kind: z.literal('split-events'), into: z.string(), partitions: z.array(z.string()), vias: z.array(z.string()) }),
]);

export const jobItemSchema = z.object({
  id: z.string(),
  spec: jobSpecSchema,
  status: z.enum(['OPEN', 'DONE']),
  progress: z.object({ step: z.number().int(), after: nullableString, items: z.number().int(), pages: z.number().int() }),
  createdAt: z.string(),
  updatedAt: z.string(),
  completedAt: nullableString,
  owner: nullableString,
  leaseUntil: z.number().nullish(),
  failures: z.number().int(),
  notBefore: z.number().nullish(),
  lastError: nullableString,
  version: z.number().int(),
});

export const suppressionItemSchema = z.object({
  hash: z.string(),
  identityType: identityTypeSchema,
  customerId: z.string(),
  suppressedAt: z.string(),
});

/** The suppression list's key fingerprint, under a hash no HMAC (64 hex digits) can take. */
export const SUPPRESSION_KEY_FINGERPRINT_HASH = 'key-fingerprint';
export const suppressionKeyFingerprintItemSchema = z.object({ hash: z.literal(SUPPRESSION_KEY_FINGERPRINT_HASH), fingerprint: z.string() });

export const identityIndexItemSchema = z.object({ key: z.string(), customerId: z.string() });

export const mergeSuggestionItemSchema = z.object({
  id: z.string(),
  customerIds: z.array(z.string()),
  status: z.enum(SUGGESTION_STATUSES),
  origin: z.enum(SUGGESTION_ORIGINS),
  probability: z.number(),
  evidence: z.array(z.object({ attribute: z.string(), level: z.string(), weight: z.number().nullish() })),
  model: nullableString,
  createdAt: z.string(),
  updatedAt: z.string(),
  principal: nullableString,
  traceId: nullableString,
  decidedBy: nullableString,
  decidedAt: nullableString,
  reason: nullableString,
});

const fieldDecisionsSchema = z.array(
  z.object({ path: z.string(), piiClass: z.string(), decision: z.string(), reason: nullableString, customerId: nullableString }),
);

/**
 * `fields` is stored as one binary attribute (auditFields.ts: grouped, with list
 * indices as ranges, deflated; older records hold a JSON string of a plain array): a full customer read releases dozens
 * of fields, and one string attribute costs DynamoDB (and the SDK's
 * marshalling) far less than a list of maps on the hot path of every read.
 */
const storedJsonFieldDecisionsSchema = z
  .string()
  .transform((text, ctx) => {
    try {
      const parsed = JSON.parse(text) as unknown;
      return decodeFieldDecisions(parsed) ?? parsed;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'fields is not JSON' });
      return z.NEVER;
    }
  })
  .pipe(fieldDecisionsSchema);

/** The compact form (auditFields.ts): deflated, grouped decisions. */
const compactFieldDecisionsSchema = z
  .instanceof(Uint8Array)
  .transform((bytes, ctx) => {
    try {
      const decoded = decodeFieldDecisions(inflateFieldDecisions(bytes));
      if (decoded) return decoded;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'fields is not a compact field list' });
    return z.NEVER;
  })
  .pipe(fieldDecisionsSchema);

const storedFieldDecisionsSchema = z.union([compactFieldDecisionsSchema, storedJsonFieldDecisionsSchema]);

export const auditItemSchema = z.object({
  id: z.string(),
  at: z.string(),
  principal: z.string(),
  purpose: purposeSchema.nullish(),
  operation: z.string(),
  customerIds: z.array(z.string()),
  fields: z.union([storedFieldDecisionsSchema, fieldDecisionsSchema]),
  traceId: nullableString,
  detail: z.record(z.string(), z.union([z.string(), z.number()])).nullish(),
});

export const apiKeyItemSchema = z.object({
  keyId: z.string(),
  secretHash: z.string(),
  clientName: z.string(),
  scopes: z.array(z.string()),
  purposes: z.array(purposeSchema),
  createdAt: z.string(),
  expiresAt: nullableString,
  revoked: z.boolean(),
  rateLimitPerMinute: z.number().int().positive().nullish(),
  trustedDocumentsOnly: z.boolean().optional(),
  demo: z.boolean().optional(),
  replacedBy: nullableString,
  pseudonymScope: z.enum(['shared', 'principal']).nullish(),
  pseudonymSubject: nullableString,
});

/** An item checked against its schema: the record, or (one bad item failing only its own key) a malformed_payload SourceError naming paths, never values. */
export function parseItem<S extends z.ZodType>(schema: S, item: Record<string, unknown>): z.output<S> | Error {
  const result = schema.safeParse(item);
  return result.success ? result.data : malformedPayload('singleview', result.error.issues);
}

export function parseOrThrow<S extends z.ZodType>(schema: S, item: Record<string, unknown>): z.output<S> {
  const parsed = parseItem(schema, item);
  if (parsed instanceof Error) throw parsed;
  return parsed;
}
