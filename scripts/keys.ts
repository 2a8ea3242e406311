/**
 * `npm run keys -- <command>`: manage API keys in the configured single view
 * (docs/security.md, "Managing keys"). Same environment as the gateway.
 *
 *   create --client <name> --scopes <a,b> [--purposes <p,q>] [--expires-at <ISO time> | --expires-in <90d>]
 *          [--rate-limit <per minute>] [--trusted-documents-only] [--pseudonym-scope shared|principal]
 *   list
 *   revoke <keyId>
 *   rotate <keyId> [--grace <1h>]
 *   history [--first <n>]
 *
 * Every command takes --json for output a script can read. `create` and
 * `rotate` print the secret once; it is not stored anywhere. Changes are
 * audited (src/audit/) as `operator:<OS user>`; `history` shows that trail.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type * as AuditModuleNamespace from '../src/audit/index.js';
import type { ApiKeyRecord, AuditRecordModel } from '../src/domain/index.js';
import type { SingleViewPort } from '../connectors/singleview/port.js';
import { KeyAdminError, KeyInputError, createKey, listKeys, parseDuration, parseNewKey, revokeKey, rotateKey } from '../src/auth/keyAdmin.js';
import type { KeyAdminAudit } from '../src/auth/keyAdmin.js';
import type { NewKey } from '../src/auth/apiKeys.js';
import { ConfigError, loadConfig } from '../src/config.js';

const USAGE = `usage: npm run keys -- <command> [options]
  create --client <name> --scopes <a,b> [--purposes <p,q>] [--expires-at <ISO time> | --expires-in <90d>]
         [--rate-limit <per minute>] [--trusted-documents-only] [--pseudonym-scope shared|principal] [--json]
  list [--json]
  revoke <keyId> [--json]
  rotate <keyId> [--grace <1h>] [--json]
  history [--first <n>] [--json]`;

class UsageError extends Error {}

const options = {
  client: { type: 'string' },
  scopes: { type: 'string' },
  purposes: { type: 'string' },
  'expires-at': { type: 'string' },
  'expires-in': { type: 'string' },
  'rate-limit': { type: 'string' },
  'trusted-documents-only': { type: 'boolean' },
  'pseudonym-scope': { type: 'string' },
  grace: { type: 'string' },
  first: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !parsed.values.help ? 64 : 0;
  }
  // Every usage error is found before the store is opened, and before the store's modules
  // (the SDK, the embedded DynamoDB, the audit log) are even loaded: a typo answers at once.
  const action = plan(command, rest, parsed.values);
  const config = loadConfig();
  const [{ openSingleViewForTool }, audit] = await Promise.all([import('../src/tools/openSingleView.js'), import('../src/audit/index.js')]);
  const opened = await openSingleViewForTool(config);
  try {
    const output = await action(opened.store, audit);
    process.stdout.write(parsed.values.json ? `${JSON.stringify(output.json, null, 2)}\n` : `${output.text}\n(${opened.via})\n`);
    return 0;
  } finally {
    await opened.close();
  }
}

interface Output {
  readonly json: unknown;
  readonly text: string;
}

type ToolStore = Parameters<typeof listKeys>[0] & Pick<SingleViewPort, 'putApiKey' | 'appendAudits' | 'getAuditTrail'>;

type AuditModule = typeof AuditModuleNamespace;

/** Changes go on the key administration trail, written straight to the store, as the OS user running the command. */
function keyAudit(store: ToolStore, { AuditLog, directAuditSink }: AuditModule): KeyAdminAudit {
  return { log: new AuditLog(directAuditSink(store)), operator: `operator:${operatorName()}` };
}

/** The command, checked: what it will do with the store once open. Throws UsageError or KeyInputError. */
function plan(command: string, args: string[], values: Values): (store: ToolStore, audit: AuditModule) => Promise<Output> {
  switch (command) {
    case 'create': {
      if (args.length > 0) throw new UsageError('create takes options only, not positional arguments');
      if (values['expires-at'] && values['expires-in']) throw new UsageError('give --expires-at or --expires-in, not both');
      const input = {
        clientName: values.client ?? '',
        scopes: list(values.scopes),
        purposes: list(values.purposes),
        expiresAt: values['expires-at'] ?? (values['expires-in'] ? new Date(Date.now() + parseDuration(values['expires-in'], '--expires-in')).toISOString() : undefined),
        rateLimitPerMinute: values['rate-limit'] === undefined ? undefined : Number(values['rate-limit']),
        trustedDocumentsOnly: values['trusted-documents-only'],
        pseudonymScope: values['pseudonym-scope'],
      };
      parseNewKey(input);
      return async (store, audit) => withSecret('Created', await createKey(store, input, keyAudit(store, audit)));
    }
    case 'list':
      if (args.length > 0) throw new UsageError('list takes no arguments');
      return async (store) => {
        const keys = await listKeys(store);
        return { json: keys.map(publicView), text: keys.length === 0 ? 'No keys.' : keys.map(describe).join('\n\n') };
      };
    case 'revoke': {
      const keyId = onlyKeyId(command, args);
      return async (store, audit) => {
        const revoked = await revokeKey(store, keyId, keyAudit(store, audit));
        return { json: publicView(revoked), text: `Revoked ${revoked.keyId} (${revoked.clientName}). Gateways stop accepting it within C360_API_KEY_CACHE_MS.` };
      };
    }
    case 'rotate': {
      const keyId = onlyKeyId(command, args);
      const grace = values.grace ? parseDuration(values.grace, '--grace') : 0;
      return async (store, audit) => {
        const { next, previous } = await rotateKey(store, keyId, keyAudit(store, audit), grace);
        const old = previous.revoked ? `${previous.keyId} is revoked.` : `${previous.keyId} keeps working until ${previous.expiresAt}.`;
        const created = withSecret('Rotated to', next);
        return { json: { ...(created.json as object), previous: publicView(previous) }, text: `${created.text}\n${old}` };
      };
    }
    case 'history': {
      if (args.length > 0) throw new UsageError(`history takes options only, not "${args.join(' ')}"`);
      const first = values.first === undefined ? 20 : Number(values.first);
      if (!Number.isInteger(first) || first < 1 || first > 1000) throw new UsageError('--first must be a whole number from 1 to 1000');
      return async (store, { KEY_ADMIN_TRAIL }) => {
        const { records } = await store.getAuditTrail(KEY_ADMIN_TRAIL, first);
        return { json: records, text: records.length === 0 ? 'No key administration is recorded.' : records.map(describeRecord).join('\n') };
      };
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** The OS user running the command, as the operator on the audit trail. */
function operatorName(): string {
  try {
    return userInfo().username.replace(/[^A-Za-z0-9_.-]/g, '_') || 'unknown';
  } catch {
    return 'unknown';
  }
}

function describeRecord(record: AuditRecordModel): string {
  const detail = Object.entries(record.detail ?? {}).map(([key, value]) => `${key}=${value}`).join(' ');
  return `${record.at}  ${record.operation.padEnd(12)} by ${record.principal}  ${detail}`;
}

function withSecret(verb: string, created: NewKey): Output {
  return {
    json: { key: created.key, ...publicView(created.record) },
    text: `${verb} key ${created.record.keyId}:\n${describe(created.record)}\n\nSecret (shown once; it is not stored):\n  ${created.key}`,
  };
}

/** Everything but the secret's hash. */
function publicView(record: ApiKeyRecord): Omit<ApiKeyRecord, 'secretHash'> {
  const { secretHash: _secretHash, ...rest } = record;
  return rest;
}

function describe(record: ApiKeyRecord): string {
  const state = record.revoked ? 'revoked' : record.expiresAt && Date.parse(record.expiresAt) <= Date.now() ? 'expired' : 'active';
  return [
    `${record.keyId}  ${record.clientName}  [${state}${record.demo ? ', demo' : ''}]`,
    `  scopes:     ${record.scopes.join(', ') || '(none)'}`,
    `  purposes:   ${record.purposes.join(', ') || '(none)'}`,
    `  expires:    ${record.expiresAt ?? 'never'}`,
    `  rate limit: ${record.rateLimitPerMinute ? `${record.rateLimitPerMinute}/min` : 'gateway default'}`,
    `  pseudonyms: ${record.pseudonymScope === 'principal' ? 'its own (principal)' : 'shared'}`,
    ...(record.replacedBy ? [`  replaced by ${record.replacedBy}`] : []),
  ].join('\n');
}

function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((item) => item.trim()).filter(Boolean);
}

function onlyKeyId(command: string, args: string[]): string {
  if (args.length !== 1) throw new UsageError(`${command} takes one key id`);
  return args[0]!;
}

/** docs/security.md: 0 done, 1 refused, 64 usage (the command or its input), 78 configuration. */
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`${error.message}\n${USAGE}\n`);
    else if (error instanceof KeyInputError || error instanceof ConfigError || error instanceof KeyAdminError) process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`keys: ${(error as Error).message}\n`);
    process.exit(error instanceof UsageError || error instanceof KeyInputError ? 64 : error instanceof ConfigError ? 78 : 1);
  },
);
