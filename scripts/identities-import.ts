/**
 * `npm run identities:import -- --file pairs.csv`: links the identifiers of
 * an export, one person per row (docs/integration.md), e.g. the email and
 * contact id of every contact in a CRM, so the gateway can find each
 * customer's records in the systems that know only their own ids.
 *
 *   --file <path>          CSV with a header line (required)
 *   --map <TYPE=column>    identity type of a column, repeatable; by default
 *                          columns named after identity types (EMAIL, CRM_ID, …)
 *   --source <name>        recorded as the identifiers' source (default: import)
 *   --concurrency <n>      rows in flight (default 4)
 *   --dry-run              check every row, write nothing
 *   --unverified           record the identifiers as not verified: a row that
 *                          would join two known customers is kept as a merge
 *                          suggestion instead (default: verified, the operator
 *                          vouches for the export)
 *   --json                 print the report as JSON
 *
 * Same environment as the gateway. Exit codes: 0 every row imported (or
 * skipped for want of a second identifier), 65 some rows refused (the report
 * says which lines and columns), 1 stopped by a failing source (run it
 * again: importing is idempotent), 64 usage, 78 configuration.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { IdentityType } from '../src/domain/index.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { IDENTITY_TYPES } from '../src/domain/index.js';
import { ImportUsageError, importColumns, importIdentities } from '../src/tools/importIdentities.js';
import type { ImportReport } from '../src/tools/importIdentities.js';
import { openSingleViewForTool } from '../src/tools/openSingleView.js';

const USAGE = `usage: npm run identities:import -- --file <pairs.csv> [--map TYPE=column ...] [--source <name>] [--concurrency <n>] [--dry-run] [--unverified] [--json]`;

const options = {
  file: { type: 'string' },
  map: { type: 'string', multiple: true },
  source: { type: 'string' },
  concurrency: { type: 'string' },
  'dry-run': { type: 'boolean' },
  unverified: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new ImportUsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.file) throw new ImportUsageError('--file is required');
  if (!existsSync(values.file)) throw new ImportUsageError('--file names no readable file');
  const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new ImportUsageError('--concurrency must be a whole number from 1 to 64');
  const source = values.source ?? 'import';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(source)) throw new ImportUsageError('--source must be 1–64 letters, digits, _ . : -');
  const columns = mapping(values.map ?? []);
  // Usage first: a bad header is reported before any store is opened.
  await importColumns(values.file, columns);

  const config = loadConfig();
  const opened = await openSingleViewForTool(config);
  try {
    const report = await importIdentities(config, opened.store, {
      file: values.file,
      columns,
      source,
      concurrency,
      dryRun: values['dry-run'] ?? false,
      unverified: values.unverified ?? false,
    });
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${describe(report, values['dry-run'] ?? false)}\n(${opened.via})\n`);
    return report.invalid.length > 0 || report.suppressed.length > 0 ? 65 : 0;
  } finally {
    await opened.close();
  }
}

function mapping(pairs: readonly string[]): Partial<Record<IdentityType, string>> {
  const columns: Partial<Record<IdentityType, string>> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const type = pair.slice(0, at).trim().toUpperCase() as IdentityType;
    const column = pair.slice(at + 1).trim();
    if (at < 1 || column === '' || !IDENTITY_TYPES.includes(type)) {
      throw new ImportUsageError(`--map takes TYPE=column with TYPE one of ${IDENTITY_TYPES.join(', ')}`);
    }
    columns[type] = column;
  }
  return columns;
}

function describe(report: ImportReport, dryRun: boolean): string {
  const refused = Object.entries(report.rejectedLinks).map(([reason, count]) => `${count} ${reason}`);
  return [
    `${report.rows} rows: ${dryRun ? `${report.rows - report.skipped.length - report.invalid.length} would be linked (dry run, nothing written)` : `${report.linked} linked, ${report.merged} customers merged`}.`,
    ...(refused.length > 0 ? [`Identifiers not linked: ${refused.join(', ')} (docs/identity-resolution.md).`] : []),
    ...(report.skipped.length > 0 ? [`Skipped, fewer than two identifiers: lines ${report.skipped.join(', ')}.`] : []),
    ...report.invalid.map((row) => `Refused line ${row.line}, column ${row.column}: ${row.reason}`),
    ...(report.suppressed.length > 0 ? [`Refused, an erased person's identifier (docs/erasure.md): lines ${report.suppressed.join(', ')}.`] : []),
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ImportUsageError) process.stderr.write(`${error.message}\n${USAGE}\n`);
    else if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`identities:import stopped: ${(error as Error).message}; importing is idempotent, run it again.\n`);
    process.exit(error instanceof ImportUsageError ? 64 : error instanceof ConfigError ? 78 : 1);
  },
);
