/**
 * `npm run keys -- <command>`: manage API keys in the configured single view
 * (docs/security.md, "Managing keys"). Same environment as the gateway.
 *
 *   create --client <name> --scopes <a,b> [--purposes <p,q>] [--expires-at <ISO time> | --expires-in <90d>]
 *          [--rate-limit <per minute>] [--trusted-documents-only]
 *   list
 *   revoke <keyId>
 *   rotate <keyId> [--grace <1h>]
 *
 * Every command takes --json for output a script can read. `create` and
 * `rotate` print the secret once; it is not stored anywhere.
 */
import { parseArgs } from 'node:util';
import type { ApiKeyRecord } from '../connectors/singleview/port.js';
import { KeyAdminError, KeyInputError, createKey, listKeys, parseDuration, parseNewKey, revokeKey, rotateKey } from '../src/auth/keyAdmin.js';
import type { NewKey } from '../src/auth/apiKeys.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { openSingleViewForTool } from '../src/tools/openSingleView.js';

const USAGE = `usage: npm run keys -- <command> [options]
  create --client <name> --scopes <a,b> [--purposes <p,q>] [--expires-at <ISO time> | --expires-in <90d>]
         [--rate-limit <per minute>] [--trusted-documents-only] [--json]
  list [--json]
  revoke <keyId> [--json]
  rotate <keyId> [--grace <1h>] [--json]`;

class UsageError extends Error {}

const options = {
  client: { type: 'string' },
  scopes: { type: 'string' },
  purposes: { type: 'string' },
  'expires-at': { type: 'string' },
  'expires-in': { type: 'string' },
  'rate-limit': { type: 'string' },
  'trusted-documents-only': { type: 'boolean' },
  grace: { type: 'string' },
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
  // Every usage error is found before the store is opened.
  const action = plan(command, rest, parsed.values);
  const config = loadConfig();
  const opened = await openSingleViewForTool(config);
  try {
    const output = await action(opened.store);
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

type KeyStore = Parameters<typeof listKeys>[0];

/** The command, checked: what it will do with the store once open. Throws UsageError or KeyInputError. */
function plan(command: string, args: string[], values: Values): (store: KeyStore) => Promise<Output> {
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
      };
      parseNewKey(input);
      return async (store) => withSecret('Created', await createKey(store, input));
    }
    case 'list':
      if (args.length > 0) throw new UsageError('list takes no arguments');
      return async (store) => {
        const keys = await listKeys(store);
        return { json: keys.map(publicView), text: keys.length === 0 ? 'No keys.' : keys.map(describe).join('\n\n') };
      };
    case 'revoke': {
      const keyId = onlyKeyId(command, args);
      return async (store) => {
        const revoked = await revokeKey(store, keyId);
        return { json: publicView(revoked), text: `Revoked ${revoked.keyId} (${revoked.clientName}). Gateways stop accepting it within C360_API_KEY_CACHE_MS.` };
      };
    }
    case 'rotate': {
      const keyId = onlyKeyId(command, args);
      const grace = values.grace ? parseDuration(values.grace, '--grace') : 0;
      return async (store) => {
        const { next, previous } = await rotateKey(store, keyId, grace);
        const old = previous.revoked ? `${previous.keyId} is revoked.` : `${previous.keyId} keeps working until ${previous.expiresAt}.`;
        const created = withSecret('Rotated to', next);
        return { json: { ...(created.json as object), previous: publicView(previous) }, text: `${created.text}\n${old}` };
      };
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
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
