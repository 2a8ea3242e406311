import { parse } from 'csv-parse/sync';
import { MATCH_FIELDS, isMatchField } from '../matching/index.js';
import type { MatchField, MatchRecord } from '../matching/index.js';

/**
 * Records for the matching commands (`npm run resolution:eval -- --csv`,
 * `npm run resolution:train -- --csv`) from a CSV file: one record per row,
 * the attributes from the mapped columns and, for evaluation, the true
 * person from the cluster column (rows with equal values are one person; an
 * empty value is a person of its own). Header names are matched exactly
 * after trimming, then ignoring case. Quoted fields, a byte-order mark,
 * `, ` separators (FEBRL), `;`, tab or `|` as the delimiter (whichever the
 * header uses most) and rows with fewer or more fields than the header are
 * accepted.
 */
export interface CsvMapping {
  /** Column of record ids; row numbers when absent. */
  readonly id?: string | undefined;
  /** Column of true person labels (evaluation only). */
  readonly cluster?: string | undefined;
  readonly fields: Readonly<Partial<Record<MatchField, string>>>;
  /** Optional column naming each record's source (for linkage evaluation). */
  readonly source?: string | undefined;
}

export interface LabelledRecords {
  readonly records: MatchRecord[];
  /** The true person of each record (empty without a cluster column). */
  readonly clusters: string[];
  /** Things a user should know, without values: rows with a different field count, repeated ids. */
  readonly warnings: string[];
}

/** The file cannot be used as given (a named column is missing, it is not CSV, it has no rows). */
export class CsvInputError extends Error {}

const DELIMITERS = [',', ';', '\t', '|'] as const;

export function readLabelledCsv(text: string, mapping: CsvMapping, fileName: string): LabelledRecords {
  const rows = parseRows(text, fileName);
  const header = rows[0];
  if (!header || header.every((name) => name === '')) throw new CsvInputError(`${fileName} has no header row`);
  const columnOf = (option: string, name: string) => {
    const exact = header.indexOf(name.trim());
    if (exact >= 0) return exact;
    const folded = header.map((h) => h.toLowerCase()).indexOf(name.trim().toLowerCase());
    if (folded >= 0) return folded;
    throw new CsvInputError(`column "${name}" (${option}) is not in the header of ${fileName}; its columns are: ${header.join(', ')}`);
  };
  const idColumn = mapping.id === undefined ? undefined : columnOf('--id', mapping.id);
  const clusterColumn = mapping.cluster === undefined ? undefined : columnOf('--cluster', mapping.cluster);
  const sourceColumn = mapping.source === undefined ? undefined : columnOf('--source', mapping.source);
  const fieldColumns = Object.entries(mapping.fields).map(([field, column]) => [field, columnOf(`--map ${field}`, column!)] as const);

  const data = rows.slice(1);
  if (data.length === 0) throw new CsvInputError(`${fileName} has a header but no rows`);
  const warnings: string[] = [];
  const ragged = data.filter((row) => row.length !== header.length).length;
  if (ragged > 0) warnings.push(`${ragged} row(s) have a different number of fields than the header; missing fields are read as empty`);
  const seen = new Set<string>();
  let repeated = 0;
  const records: MatchRecord[] = [];
  const clusters: string[] = [];
  data.forEach((row, i) => {
    const rowNumber = i + 2;
    let id = idColumn === undefined ? `row${rowNumber}` : (row[idColumn] ?? '');
    if (id === '' || seen.has(id)) {
      if (id !== '') repeated++;
      id = `${id}#row${rowNumber}`;
    }
    seen.add(id);
    if (clusterColumn !== undefined) {
      const cluster = row[clusterColumn] ?? '';
      clusters.push(cluster === '' ? `\u0000row${rowNumber}` : cluster);
    }
    const values = Object.fromEntries(fieldColumns.map(([field, column]) => [field, row[column] ?? '']));
    records.push({ id, source: sourceColumn === undefined ? undefined : (row[sourceColumn] ?? ''), values });
  });
  if (repeated > 0) warnings.push(`${repeated} row(s) repeat an id already seen; they are kept as records of their own`);
  return { records, clusters, warnings };
}

function parseRows(text: string, fileName: string): string[][] {
  try {
    return parse(text, { bom: true, delimiter: delimiterOf(text), trim: true, skip_empty_lines: true, relax_column_count: true, relax_quotes: true }) as string[][];
  } catch (error) {
    const failed = error as { code?: string; lines?: number };
    // csv-parse's own message quotes the offending characters, which may be personal data.
    throw new CsvInputError(`${fileName} is not readable as CSV${failed.lines ? ` (line ${failed.lines})` : ''}${failed.code ? `: ${failed.code}` : ''}`);
  }
}

/** The delimiter the header line uses most, outside quotes; a comma when it has none. */
function delimiterOf(text: string): string {
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const unquoted = firstLine.replace(/"[^"]*"/g, '');
  let best: string = ',';
  let most = 0;
  for (const delimiter of DELIMITERS) {
    const count = unquoted.split(delimiter).length - 1;
    if (count > most) {
      best = delimiter;
      most = count;
    }
  }
  return best;
}

/** A command line the matching commands refuse (exit code 64). */
export class UsageError extends Error {}

/** `--map FIELD=COLUMN` options as attribute → column; unknown fields and repeats are usage errors. */
export function parseFieldMaps(maps: readonly string[]): Partial<Record<MatchField, string>> {
  const fields: Partial<Record<MatchField, string>> = {};
  for (const map of maps) {
    const at = map.indexOf('=');
    const field = at < 0 ? map : map.slice(0, at);
    const column = at < 0 ? '' : map.slice(at + 1);
    if (!isMatchField(field)) throw new UsageError(`--map ${field}=…: unknown FIELD "${field}"; FIELD is one of ${MATCH_FIELDS.join(', ')}`);
    if (column.trim() === '') throw new UsageError(`--map ${field}: give the column as --map ${field}=COLUMN`);
    if (fields[field] !== undefined) throw new UsageError(`--map ${field} is given twice`);
    fields[field] = column;
  }
  return fields;
}
