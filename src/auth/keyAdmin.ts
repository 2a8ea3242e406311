import { z } from 'zod';
import type { ApiKeyRecord } from '../domain/index.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import type { AuditDetail, AuditLog } from '../audit/index.js';
import { mintApiKey } from './apiKeys.js';
import type { NewKey } from './apiKeys.js';
import { SCOPE_ALIASES, SCOPES } from './scopes.js';
import { PURPOSES } from '../domain/index.js';

/**
 * What `npm run keys` does, apart from talking to a terminal: create, list,
 * revoke and rotate API keys in the single view. The secret exists only in
 * the value `create` and `rotate` return; the store keeps its SHA-256.
 *
 * Every change is on the key administration audit trail (src/audit/): a key
 * is created or rotated only once its record is written (no key without a
 * record); a revocation takes effect first (it is never held up) and its
 * record follows, and a failure to write it is reported.
 */
export type KeyStore = Pick<SingleViewPort, 'getApiKey' | 'putApiKey' | 'listApiKeys'>;

/** Who administers keys, for the audit trail: `operator:<name>`. */
export interface KeyAdminAudit {
  readonly log: AuditLog;
  readonly operator: string;
}

export const newKeySchema = z.object({
  clientName: z.string().trim().min(1, 'expected a client name').max(200, 'expected at most 200 characters'),
  scopes: z
    .array(
      z
        .string()
        .transform((name) => SCOPE_ALIASES[name] ?? name)
        .pipe(z.enum(SCOPES, { error: `unknown scope; expected ${SCOPES.join(', ')}` })),
    )
    .min(1, 'expected at least one scope')
    .transform((scopes) => [...new Set(scopes)]),
  // Named in any case on the command line (`support` or `SUPPORT`), stored as the schema's enum value.
  purposes: z.array(
    z
      .string()
      .transform((name) => name.toUpperCase())
      .pipe(z.enum(PURPOSES, { error: `unknown purpose; expected ${PURPOSES.join(', ')} (in any case)` })),
  ),
  expiresAt: z.iso
    .datetime({ offset: true, error: 'expected an ISO 8601 time such as 2027-01-31T00:00:00Z' })
    .refine((at) => Date.parse(at) > Date.now(), 'expected a time in the future')
    .transform((at) => new Date(at).toISOString())
    .optional(),
  rateLimitPerMinute: z.number().int('expected a whole number').positive('expected a positive number').max(1_000_000).optional(),
  trustedDocumentsOnly: z.boolean().optional(),
  pseudonymScope: z.enum(['shared', 'principal'], { error: 'expected shared or principal' }).optional(),
});

/** As an operator types it: names are checked by newKeySchema. */
export interface NewKeyInput {
  readonly clientName: string;
  readonly scopes: readonly string[];
  readonly purposes: readonly string[];
  readonly expiresAt?: string | undefined;
  readonly rateLimitPerMinute?: number | undefined;
  readonly trustedDocumentsOnly?: boolean | undefined;
  /** `principal`: hashes this key receives are its own pseudonyms (docs/privacy.md). */
  readonly pseudonymScope?: string | undefined;
}

/** The store refused the operation (no such key, a revoked or demo key): `npm run keys` exits 1. */
export class KeyAdminError extends Error {
  override readonly name = 'KeyAdminError';
}

/** Input the operator can fix (a name, a scope, a duration): a usage error, `npm run keys` exits 64. */
export class KeyInputError extends Error {
  override readonly name = 'KeyInputError';
}

/** Checks a new key's fields as an operator typed them; KeyInputError names each field at fault. */
export function parseNewKey(input: NewKeyInput): z.output<typeof newKeySchema> {
  const parsed = newKeySchema.safeParse(input);
  if (!parsed.success) {
    throw new KeyInputError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'input'}: ${issue.message}`).join('\n'));
  }
  return parsed.data;
}

export async function createKey(store: KeyStore, input: NewKeyInput, audit: KeyAdminAudit, now = new Date()): Promise<NewKey> {
  const { expiresAt, rateLimitPerMinute, trustedDocumentsOnly, pseudonymScope, ...fields } = parseNewKey(input);
  const minted = mintApiKey(
    {
      ...fields,
      expiresAt: expiresAt ?? null,
      rateLimitPerMinute: rateLimitPerMinute ?? null,
      trustedDocumentsOnly: trustedDocumentsOnly ?? false,
      ...(pseudonymScope === 'principal' ? { pseudonymScope } : {}),
    },
    now,
  );
  await recordFirst(audit, 'keys create', minted.record.keyId, describeKey(minted.record), 'No key was created');
  await store.putApiKey(minted.record);
  return minted;
}

export async function listKeys(store: KeyStore): Promise<readonly ApiKeyRecord[]> {
  return store.listApiKeys();
}

export async function revokeKey(store: KeyStore, keyId: string, audit: KeyAdminAudit): Promise<ApiKeyRecord> {
  const record = await existing(store, keyId);
  const revoked = { ...record, revoked: true };
  await store.putApiKey(revoked);
  try {
    await audit.log.keyAdministration(actor(audit, 'keys revoke'), record.keyId, { change: 'revoke' });
  } catch (error) {
    throw new KeyAdminError(`Key ${record.keyId} is revoked, but its audit record could not be written (${(error as Error).message}).`);
  }
  return revoked;
}

/**
 * A new secret under a new key id with the same client, scopes, purposes,
 * expiry and limits. The old key is revoked at once, or, with a grace
 * period, expires when it ends so clients can switch without an outage.
 */
export async function rotateKey(
  store: KeyStore,
  keyId: string,
  audit: KeyAdminAudit,
  graceMs = 0,
  now = new Date(),
): Promise<{ readonly next: NewKey; readonly previous: ApiKeyRecord }> {
  const record = await existing(store, keyId);
  if (record.revoked) throw new KeyAdminError(`Key ${keyId} is revoked; create a new key instead.`);
  if (record.demo) throw new KeyAdminError(`Key ${keyId} is a demo key; demo keys are reset at every start and cannot be rotated.`);
  const next = mintApiKey(
    {
      clientName: record.clientName,
      scopes: record.scopes,
      purposes: record.purposes,
      expiresAt: record.expiresAt ?? null,
      rateLimitPerMinute: record.rateLimitPerMinute ?? null,
      trustedDocumentsOnly: record.trustedDocumentsOnly ?? false,
      // Principal-scoped pseudonyms stay the key line's own across rotations.
      ...(record.pseudonymScope === 'principal' ? { pseudonymScope: 'principal' as const, pseudonymSubject: record.pseudonymSubject ?? record.keyId } : {}),
    },
    now,
  );
  await recordFirst(audit, 'keys rotate', record.keyId, { change: 'rotate', replacedBy: next.record.keyId, graceMs }, 'Nothing was rotated');
  const graceEnds = new Date(now.getTime() + graceMs).toISOString();
  const keepsUntil = record.expiresAt && record.expiresAt < graceEnds ? record.expiresAt : graceEnds;
  const previous: ApiKeyRecord =
    graceMs > 0 ? { ...record, expiresAt: keepsUntil, replacedBy: next.record.keyId } : { ...record, revoked: true, replacedBy: next.record.keyId };
  // The new key first: if the second write fails, the client still has a working key.
  await store.putApiKey(next.record);
  await store.putApiKey(previous);
  return { next, previous };
}

function actor(audit: KeyAdminAudit, operation: string) {
  return { principal: audit.operator, purpose: null, traceId: null, operation };
}

/** What a key is allowed, for its creation record: names, never the secret or its hash. */
function describeKey(record: ApiKeyRecord): AuditDetail {
  return {
    change: 'create',
    scopes: record.scopes.join(','),
    purposes: record.purposes.join(','),
    pseudonymScope: record.pseudonymScope ?? 'shared',
    ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}),
  };
}

/** The record before the change: a key that exists has a record. */
async function recordFirst(audit: KeyAdminAudit, operation: string, keyId: string, detail: AuditDetail, refusal: string): Promise<void> {
  try {
    await audit.log.keyAdministration(actor(audit, operation), keyId, detail);
  } catch (error) {
    throw new KeyAdminError(`${refusal}: its audit record could not be written (${(error as Error).message}).`);
  }
}

async function existing(store: KeyStore, keyId: string): Promise<ApiKeyRecord> {
  const record = await store.getApiKey(keyId.replace(/^c360_/, '').split('.')[0]!);
  if (!record) throw new KeyAdminError(`No key with id ${keyId}.`);
  return record;
}

/** Duration like 30s, 15m, 12h, 90d; `option` names it in the error. */
export function parseDuration(text: string, option = 'the duration'): number {
  const match = /^(\d{1,6})([smhd])$/.exec(text.trim());
  if (!match) throw new KeyInputError(`${option} is not a duration; expected e.g. 30s, 15m, 12h or 90d.`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
