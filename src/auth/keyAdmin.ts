import { z } from 'zod';
import type { ApiKeyRecord, Purpose, SingleViewPort } from '../../connectors/singleview/port.js';
import { mintApiKey } from './apiKeys.js';
import type { NewKey } from './apiKeys.js';
import { SCOPES } from './scopes.js';

/**
 * What `npm run keys` does, apart from talking to a terminal: create, list,
 * revoke and rotate API keys in the single view. The secret exists only in
 * the value `create` and `rotate` return; the store keeps its SHA-256.
 */
export type KeyStore = Pick<SingleViewPort, 'getApiKey' | 'putApiKey' | 'listApiKeys'>;

const PURPOSE_NAMES = ['SUPPORT', 'MARKETING', 'ANALYTICS', 'PERSONALIZATION', 'FRAUD', 'SELF_SERVICE'] as const satisfies readonly Purpose[];

export const newKeySchema = z.object({
  clientName: z.string().trim().min(1, 'expected a client name').max(200, 'expected at most 200 characters'),
  scopes: z.array(z.enum(SCOPES, { error: `unknown scope; expected ${SCOPES.join(', ')}` })).min(1, 'expected at least one scope'),
  // Named in any case on the command line (`support` or `SUPPORT`), stored as the schema's enum value.
  purposes: z.array(
    z
      .string()
      .transform((name) => name.toUpperCase())
      .pipe(z.enum(PURPOSE_NAMES, { error: `unknown purpose; expected ${PURPOSE_NAMES.join(', ')} (in any case)` })),
  ),
  expiresAt: z.iso
    .datetime({ offset: true, error: 'expected an ISO 8601 time such as 2027-01-31T00:00:00Z' })
    .refine((at) => Date.parse(at) > Date.now(), 'expected a time in the future')
    .transform((at) => new Date(at).toISOString())
    .optional(),
  rateLimitPerMinute: z.number().int('expected a whole number').positive('expected a positive number').max(1_000_000).optional(),
  trustedDocumentsOnly: z.boolean().optional(),
});

/** As an operator types it: names are checked by newKeySchema. */
export interface NewKeyInput {
  readonly clientName: string;
  readonly scopes: readonly string[];
  readonly purposes: readonly string[];
  readonly expiresAt?: string | undefined;
  readonly rateLimitPerMinute?: number | undefined;
  readonly trustedDocumentsOnly?: boolean | undefined;
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

export async function createKey(store: KeyStore, input: NewKeyInput, now = new Date()): Promise<NewKey> {
  const { expiresAt, rateLimitPerMinute, trustedDocumentsOnly, ...fields } = parseNewKey(input);
  const minted = mintApiKey(
    { ...fields, expiresAt: expiresAt ?? null, rateLimitPerMinute: rateLimitPerMinute ?? null, trustedDocumentsOnly: trustedDocumentsOnly ?? false },
    now,
  );
  await store.putApiKey(minted.record);
  return minted;
}

export async function listKeys(store: KeyStore): Promise<readonly ApiKeyRecord[]> {
  return store.listApiKeys();
}

export async function revokeKey(store: KeyStore, keyId: string): Promise<ApiKeyRecord> {
  const record = await existing(store, keyId);
  const revoked = { ...record, revoked: true };
  await store.putApiKey(revoked);
  return revoked;
}

/**
 * A new secret under a new key id with the same client, scopes, purposes,
 * expiry and limits. The old key is revoked at once, or, with a grace
 * period, expires when it ends so clients can switch without an outage.
 */
export async function rotateKey(store: KeyStore, keyId: string, graceMs = 0, now = new Date()): Promise<{ readonly next: NewKey; readonly previous: ApiKeyRecord }> {
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
    },
    now,
  );
  const graceEnds = new Date(now.getTime() + graceMs).toISOString();
  const keepsUntil = record.expiresAt && record.expiresAt < graceEnds ? record.expiresAt : graceEnds;
  const previous: ApiKeyRecord =
    graceMs > 0 ? { ...record, expiresAt: keepsUntil, replacedBy: next.record.keyId } : { ...record, revoked: true, replacedBy: next.record.keyId };
  // The new key first: if the second write fails, the client still has a working key.
  await store.putApiKey(next.record);
  await store.putApiKey(previous);
  return { next, previous };
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
