/**
 * npm run resolution:eval — matching quality, measured on labelled records.
 *
 * Without --csv: the real FEBRL 3 (deduplication) and FEBRL 4 (linkage
 * A × B) data sets in bench/data/febrl/, through the deterministic engine
 * (bench/resolution/deterministic.ts) and the probabilistic matcher
 * (src/matching/), each trained on the data set itself without its labels.
 * Prints precision, recall and F1 over record pairs, and rewrites its
 * section of bench/README.md and the chart bench/results/resolution-pr.svg.
 *
 * With --csv: the matcher on any labelled CSV (usage below), trained on the
 * file itself; --json ends the output with one JSON line.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { TrainingError } from '../src/matching/index.js';
import { CsvInputError, UsageError, parseFieldMaps, readLabelledCsv } from '../src/tools/recordsCsv.js';
import { runMatcher } from './resolution/matcherRun.js';
import { pairCounts, pairScores } from './resolution/pairMetrics.js';

const USAGE = `usage:
  npm run resolution:eval
      FEBRL 3 and 4 through the deterministic engine and the matcher; rewrites the
      "Identity resolution quality" section of bench/README.md and its chart
  npm run resolution:eval -- --matcher-only
      FEBRL 3 and 4 through the matcher only; prints, writes nothing
  npm run resolution:eval -- --csv FILE --id COLUMN --cluster COLUMN --map FIELD=COLUMN [--map FIELD=COLUMN ...]
                             [--threshold P] [--phone-region CC] [--json]
      the matcher on a labelled CSV: rows with equal --cluster values are one person;
      the model is trained on the file itself, without the labels
FIELD: firstName lastName birthDate email phone streetNumber street locality city postcode state nationalId
--threshold P: match probability at which two records are linked, 0 < P < 1 (default: the review threshold, 0.5)
--phone-region CC: region for phone numbers without a country code (default C360_PHONE_DEFAULT_REGION or US)
exit codes: 0 done; 64 usage error; 65 the file cannot be used (a named column is missing, not CSV, fewer than
            two rows, no attribute with values); 66 the file cannot be read; 1 anything else`;

const EXIT = { usage: 64, data: 65, noInput: 66, internal: 1 } as const;

class FileError extends Error {}

const options = {
  csv: { type: 'string' },
  id: { type: 'string' },
  cluster: { type: 'string' },
  map: { type: 'string', multiple: true },
  threshold: { type: 'string' },
  'phone-region': { type: 'string' },
  json: { type: 'boolean' },
  'matcher-only': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];

async function main(): Promise<number> {
  let values: Values;
  try {
    values = parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.csv === undefined) {
    const stray = (['id', 'cluster', 'map', 'threshold', 'json'] as const).filter((name) => values[name] !== undefined);
    if (stray.length > 0) throw new UsageError(`--${stray[0]} needs --csv FILE`);
    // Loaded only here: the deterministic engine brings the whole gateway with it, which --csv does not need.
    const { runFebrl } = await import('./resolution/febrlReport.js');
    await runFebrl({ matcherOnly: values['matcher-only'] ?? false, write: !values['matcher-only'] });
    return 0;
  }
  evaluateCsv(values, values.csv);
  return 0;
}

function evaluateCsv(values: Values, file: string): void {
  if (values.id === undefined) throw new UsageError('--csv needs --id COLUMN (the column of record ids)');
  if (values.cluster === undefined) throw new UsageError('--csv needs --cluster COLUMN (the column whose equal values are one person)');
  const fields = parseFieldMaps(values.map ?? []);
  if (Object.keys(fields).length === 0) throw new UsageError('--csv needs at least one --map FIELD=COLUMN');
  const threshold = values.threshold === undefined ? undefined : parseThreshold(values.threshold);
  const defaultRegion = parseRegion(values['phone-region'] ?? process.env.C360_PHONE_DEFAULT_REGION ?? 'US');

  const started = performance.now();
  const labelled = readLabelledCsv(readInput(file), { id: values.id, cluster: values.cluster, fields }, file);
  for (const warning of labelled.warnings) process.stderr.write(`warning: ${warning}\n`);
  const run = runMatcher(labelled.records, { name: 'eval', description: `trained on ${file} by npm run resolution:eval`, linkOnly: false, defaultRegion, threshold });
  const scores = pairScores(pairCounts(run.clustering.clusterOf, labelled.clusters));
  const seconds = (performance.now() - started) / 1000;

  const attributes = Object.keys(run.model.attributes);
  const fraction = run.comparable === 0 ? 0 : run.candidates.count / run.comparable;
  const lines = [
    `records: ${labelled.records.length}; attributes modelled: ${attributes.join(', ')}`,
    `blocking: ${run.candidates.count} candidate pairs of ${run.comparable} (${(fraction * 100).toFixed(3)}%)${skipped(run.candidates.skippedBlocks)}`,
    `model: prior ${run.model.prior.matchProbability}, ${run.model.training.sessions.length} EM session(s), ${run.model.training.randomPairs} random pairs for u`,
    `threshold ${run.threshold}: precision ${scores.precision.toFixed(4)}, recall ${scores.recall.toFixed(4)}, F1 ${scores.f1.toFixed(4)}`,
    `pairs: ${scores.truePairs} true, ${scores.predictedPairs} predicted, ${scores.correctPairs} correct`,
    `seconds: ${seconds.toFixed(2)} (normalize ${run.seconds.prepare.toFixed(2)}, train ${run.seconds.train.toFixed(2)}, score ${run.seconds.score.toFixed(2)}, cluster ${run.seconds.cluster.toFixed(2)}; load average ${loadavg()[0]!.toFixed(2)})`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json) {
    const result = {
      precision: scores.precision,
      recall: scores.recall,
      f1: scores.f1,
      truePairs: scores.truePairs,
      predictedPairs: scores.predictedPairs,
      correctPairs: scores.correctPairs,
      seconds: Number(seconds.toFixed(3)),
      threshold: run.threshold,
      records: labelled.records.length,
      attributes,
      candidatePairs: run.candidates.count,
      comparablePairs: run.comparable,
      blockingFraction: fraction,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

function skipped(blocks: Readonly<Record<string, number>>): string {
  const entries = Object.entries(blocks);
  return entries.length === 0 ? '' : `; blocks too large to compare, skipped: ${entries.map(([rule, n]) => `${rule} ${n}`).join(', ')}`;
}

function parseThreshold(value: string): number {
  const threshold = Number(value);
  if (value.trim() === '' || !Number.isFinite(threshold) || threshold <= 0 || threshold >= 1) throw new UsageError('--threshold must be a probability strictly between 0 and 1');
  return threshold;
}

function parseRegion(value: string): string {
  if (!/^[A-Za-z]{2}$/.test(value)) throw new UsageError('--phone-region must be a two-letter region code (ISO 3166-1 alpha-2)');
  return value.toUpperCase();
}

function readInput(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileError(`cannot read ${file}${code ? ` (${code})` : ''}`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
      process.exit(EXIT.usage);
    }
    if (error instanceof CsvInputError || error instanceof TrainingError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(EXIT.data);
    }
    if (error instanceof FileError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(EXIT.noInput);
    }
    // The message of an unexpected error may quote a value from the file; the stack frames say where it failed.
    const frames = error instanceof Error ? (error.stack ?? '').split('\n').slice(1).join('\n') : '';
    process.stderr.write(`error: unexpected ${error instanceof Error ? error.name : 'failure'}\n${frames}\n`);
    process.exit(EXIT.internal);
  },
);
