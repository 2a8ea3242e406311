import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Options, Parser } from 'csv-parse';
import { GraphQLError } from 'graphql';
import { guardPort } from '../../connectors/resilience/guardedPort.js';
import { SourceGuard } from '../../connectors/resilience/sourceGuard.js';
import type { IdentityType } from '../domain/index.js';
import { SINGLE_VIEW_CALLS } from '../../connectors/singleview/port.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import { ConfigError } from '../config.js';
import type { GatewayConfig } from '../config.js';
import { AuditLog, directAuditSink } from '../audit/index.js';
import { SuppressedIdentifierError, SuppressionKeyMismatchError, SuppressionList, suppressionSecret } from '../erasure/suppression.js';
import type { IdentityInput } from '../generated/graphql.js';
import { CustomerCache } from '../identity/cache.js';
import { systemClock } from '../identity/clock.js';
import { IdentityEngine } from '../identity/engine.js';
import { withSegmentChangeFeed } from '../segments/changeFeed.js';
import { EventWriter } from '../identity/eventWriter.js';
import { KeyedLock } from '../identity/keyedLock.js';
import { IDENTITY_TYPES } from '../domain/index.js';
import { createLogger } from '../logger.js';
import { Pseudonyms, pseudonymKey } from '../privacy/pseudonym.js';
import { SegmentCatalog } from '../segments/catalog.js';
import { loadSegmentFile } from '../segments/definitions.js';
import { noopTracer } from '../telemetry/tracing.js';
import { identifyCommand } from '../writeInput.js';

/**
 * `npm run identities:import` (docs/integration.md): links the identifiers
 * of an export, one person per row, e.g. a CRM's `email,contact id` pairs,
 * through the same path as an `identify` call (input checks,
 * normalization, blocklist, suppression list, resolution rules, identity
 * change log). Idempotent: importing a file again changes nothing.
 *
 * The operator who runs it vouches for the export, as a principal with
 * identity:verify does: its identifiers are recorded verified, so a row may
 * join two known customers (docs/identity-resolution.md, "Verified
 * identifiers"). With `unverified` they are not, and such a join is kept as
 * a merge suggestion (UNVERIFIED_MERGE) for a person to decide.
 */
export interface ImportOptions {
  readonly file: string;
  /** Identity type → CSV column; by default every column named after an identity type. */
  readonly columns?: Readonly<Partial<Record<IdentityType, string>>>;
  /** Recorded as the source of the identifiers it links. */
  readonly source: string;
  readonly concurrency: number;
  /** Checks every row without writing. */
  readonly dryRun: boolean;
  /** Records the identifiers as not verified (default: verified, the operator vouches for the export). */
  readonly unverified?: boolean;
}

/** Where a row went; rows are counted by line of the file (the header is line 1), never by value. */
export interface ImportReport {
  readonly rows: number;
  readonly linked: number;
  /** Customers absorbed by merges the rows caused. */
  readonly merged: number;
  /** Identifiers not linked (a per-type limit, a placeholder), by reason. */
  readonly rejectedLinks: Readonly<Record<string, number>>;
  /** Rows with fewer than two identifiers: nothing to join. */
  readonly skipped: readonly number[];
  /** Rows refused with the column at fault and why. */
  readonly invalid: ReadonlyArray<{ readonly line: number; readonly column: string; readonly reason: string }>;
  /** Rows naming an erased person's identifier (docs/erasure.md): nothing stored. */
  readonly suppressed: readonly number[];
}

export class ImportUsageError extends Error {
  override readonly name = 'ImportUsageError';
}

/** The identity type of each column the import reads. */
export async function importColumns(file: string, columns: ImportOptions['columns']): Promise<Map<string, IdentityType>> {
  const header = await readHeader(file);
  const chosen = new Map<string, IdentityType>();
  if (columns && Object.keys(columns).length > 0) {
    for (const [type, column] of Object.entries(columns) as Array<[IdentityType, string]>) {
      if (!header.includes(column)) throw new ImportUsageError(`--map ${type}=${column}: the file has no column ${column}`);
      chosen.set(column, type);
    }
  } else {
    for (const column of header) {
      const type = column.trim().toUpperCase() as IdentityType;
      if (IDENTITY_TYPES.includes(type)) chosen.set(column, type);
    }
  }
  if (chosen.size < 2) {
    throw new ImportUsageError(
      `the file needs at least two identifier columns: name them after identity types (${IDENTITY_TYPES.join(', ')}) or give --map TYPE=column`,
    );
  }
  return chosen;
}

export async function importIdentities(config: GatewayConfig, store: SingleViewPort, options: ImportOptions): Promise<ImportReport> {
  const columns = await importColumns(options.file, options.columns);
  const guarded = guardPort(store, new SourceGuard({ source: 'singleview', ...config.sources.singleview, tracer: noopTracer }), SINGLE_VIEW_CALLS);
  const suppressions = new SuppressionList(guarded, suppressionSecret(config.suppressionKey, toolPseudonyms(config)));
  // Under another key than the gateway's, erased identifiers would be imported again: a configuration error (exit 78).
  if (!options.dryRun) {
    await suppressions.verifyKey().catch((error: unknown) => {
      throw error instanceof SuppressionKeyMismatchError ? new ConfigError(error.message) : error;
    });
  }
  const engine = toolEngine(config, guarded, suppressions);
  const report = { rows: 0, linked: 0, merged: 0, rejectedLinks: {} as Record<string, number>, skipped: [] as number[], invalid: [] as ImportReport['invalid'][number][], suppressed: [] as number[] };
  const inFlight = new Set<Promise<void>>();
  for await (const { record: row, info } of rows(options.file)) {
    const line = info.lines;
    report.rows += 1;
    const identities: IdentityInput[] = [...columns].flatMap(([column, type]) => (row[column] ? [{ type, value: row[column], verified: !options.unverified }] : []));
    const indexColumns = [...columns].filter(([column]) => row[column]).map(([column]) => column);
    if (identities.length < 2) {
      report.skipped.push(line);
      continue;
    }
    const task = importRow(engine, config, options, identities, indexColumns, line, report).finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  report.skipped.sort((a, b) => a - b);
  report.invalid.sort((a, b) => a.line - b.line);
  report.suppressed.sort((a, b) => a - b);
  return report;
}

async function importRow(
  engine: IdentityEngine,
  config: GatewayConfig,
  options: ImportOptions,
  identities: IdentityInput[],
  columns: readonly string[],
  line: number,
  report: { linked: number; merged: number; rejectedLinks: Record<string, number>; invalid: Array<ImportReport['invalid'][number]>; suppressed: number[] },
): Promise<void> {
  let command;
  try {
    command = identifyCommand({ identities }, { defaultRegion: config.phoneDefaultRegion, source: options.source, now: systemClock(), blocklist: config.identity.blocked });
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    // The message names `input.identities[i].value`: say which column that was instead.
    const index = Number(/identities\[(\d+)\]/.exec(String(error.extensions.field))?.[1] ?? -1);
    const column = columns[index] ?? columns.join('+');
    report.invalid.push({ line, column, reason: error.message.replace(/^input\.identities(\[\d+\]\.value)? /, '') });
    return;
  }
  if (options.dryRun) return;
  try {
    const outcome = await engine.identify(command, { principal: `tool:identities-import`, purpose: null, traceId: null });
    report.linked += 1;
    report.merged += outcome.merged.length;
    for (const rejected of outcome.rejected) report.rejectedLinks[rejected.reason] = (report.rejectedLinks[rejected.reason] ?? 0) + 1;
  } catch (error) {
    if (!(error instanceof SuppressedIdentifierError)) throw error;
    report.suppressed.push(line);
  }
}

/** The write path as the gateway builds it, over the tool's single view. */
export function toolEngine(config: GatewayConfig, guarded: SingleViewPort, suppressions: SuppressionList): IdentityEngine {
  const segments = new SegmentCatalog(loadSegmentFile(config.segmentsFile));
  // Customer writes announce segment index changes, as the gateway's do (src/segments/changeFeed.ts).
  const store = withSegmentChangeFeed(guarded, { segments, clock: systemClock });
  return new IdentityEngine({
    singleView: store,
    policy: config.identity,
    loginType: config.tokens.customerIdentity,
    segments,
    clock: systemClock,
    cache: new CustomerCache(0),
    locks: new KeyedLock(),
    events: new EventWriter(store),
    suppressions,
    logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel),
    // Links and merges go on each customer's audit trail, as an identify call's do.
    audit: new AuditLog(directAuditSink(store)),
  });
}

/** The gateway's pseudonym key (the demo data dir's own in demo mode), from which the suppression key is derived. */
export function toolPseudonyms(config: GatewayConfig): Pseudonyms {
  return new Pseudonyms(pseudonymKey({ configured: config.pseudonymKey, demo: config.demo.enabled, dataDir: config.dataDir }));
}

/** Each row by column name, with the line of the file it ends on (quoted values may span lines). */
function rows(file: string): AsyncIterable<{ record: Record<string, string>; info: { lines: number } }> {
  return csv(file, { columns: true, bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true });
}

async function readHeader(file: string): Promise<string[]> {
  for await (const record of csv(file, { bom: true, to_line: 1, trim: true }) as AsyncIterable<string[]>) return record;
  throw new ImportUsageError('the file is empty; its first line names the columns');
}

/** csv-parse over the file; a read error (a missing file) ends the iteration with that error instead of hanging it. */
function csv(file: string, options: Options): Parser {
  const parser = parse(options);
  const input = createReadStream(file);
  input.on('error', (error) => parser.destroy(error));
  return input.pipe(parser);
}
