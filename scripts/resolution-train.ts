/**
 * npm run resolution:train — trains the probabilistic matcher's model and
 * writes it to config/match-model.json (or --out). Without --csv it trains
 * on FEBRL 3 (bench/data/febrl/dataset3.csv, labels unused), which is how
 * the shipped model was made; with --csv on any CSV of people, unlabelled.
 *
 *   npm run resolution:train
 *   npm run resolution:train -- --csv FILE --map FIELD=COLUMN [--map ...] [--name NAME] [--out FILE] [--phone-region CC]
 *
 * Training is repeatable: the same records give the same model (random
 * pairs come from a seeded generator); only `trainedAt` changes.
 */
import { readFileSync } from 'node:fs';
import { basename, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { FEBRL_DIR, FEBRL_MAPPING } from '../bench/resolution/febrl.js';
import { DEFAULT_MATCH_MODEL_FILE, TrainingError, prepareRecord, trainModel, writeMatchModel } from '../src/matching/index.js';
import type { MatchModel } from '../src/matching/index.js';
import { CsvInputError, UsageError, parseFieldMaps, readLabelledCsv } from '../src/tools/recordsCsv.js';

const USAGE = `usage:
  npm run resolution:train
      trains on FEBRL 3 (bench/data/febrl/dataset3.csv) and writes config/match-model.json
  npm run resolution:train -- --csv FILE --map FIELD=COLUMN [--map FIELD=COLUMN ...] [--name NAME] [--out FILE] [--phone-region CC]
      trains on the rows of FILE (no labels needed)
FIELD: firstName lastName birthDate email phone streetNumber street locality city postcode state nationalId
exit codes: 0 done; 64 usage error; 65 the file cannot be used; 66 the file cannot be read; 1 anything else`;

const options = {
  csv: { type: 'string' },
  map: { type: 'string', multiple: true },
  name: { type: 'string' },
  out: { type: 'string' },
  'phone-region': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

class FileError extends Error {}

function main(): number {
  let values;
  try {
    values = parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const febrl = values.csv === undefined;
  if (febrl && values.map !== undefined) throw new UsageError('--map needs --csv FILE');
  const file = values.csv ?? `${FEBRL_DIR}dataset3.csv`;
  const fields = febrl ? FEBRL_MAPPING.fields : parseFieldMaps(values.map ?? []);
  if (Object.keys(fields).length === 0) throw new UsageError('--csv needs at least one --map FIELD=COLUMN');
  const name = values.name ?? (febrl ? 'febrl3' : basename(file).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.:-]/g, '-') || 'model');
  if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(name)) throw new UsageError('--name must be 1-128 characters from A-Z a-z 0-9 _ . : -');
  const region = values['phone-region'] ?? process.env.C360_PHONE_DEFAULT_REGION ?? (febrl ? 'AU' : 'US');
  if (!/^[A-Za-z]{2}$/.test(region)) throw new UsageError('--phone-region must be a two-letter region code');
  const out = values.out ?? DEFAULT_MATCH_MODEL_FILE;

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FileError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const display = relative(process.cwd(), file) || file;
  const { records, warnings } = readLabelledCsv(text, { fields }, display);
  for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
  const prepared = records.map((record) => prepareRecord(record, { defaultRegion: region.toUpperCase() }));
  const started = performance.now();
  const { model } = trainModel(prepared, { name, description: febrl ? 'FEBRL 3 (bench/data/febrl/dataset3.csv), 5,000 records, labels unused' : `${records.length} records of ${basename(file)}` });
  writeMatchModel(out, model);
  process.stdout.write(`${summary(model)}\ntrained in ${((performance.now() - started) / 1000).toFixed(1)} s; written to ${relative(process.cwd(), out) || out}\n`);
  return 0;
}

/** The weights as a table: what each level of each attribute is worth, in bits. */
function summary(model: MatchModel): string {
  const lines = [`model ${model.name}: ${model.training.records} records, prior ${model.prior.matchProbability} (${model.prior.weight} bits), ${model.training.candidatePairs} candidate pairs`];
  for (const [attribute, spec] of Object.entries(model.attributes)) {
    lines.push(`  ${attribute.padEnd(13)} ${spec!.levels.map((level) => `${level.level} ${level.weight >= 0 ? '+' : ''}${level.weight.toFixed(1)}`).join(', ')}`);
  }
  return lines.join('\n');
}

try {
  process.exit(main());
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
    process.exit(64);
  }
  if (error instanceof CsvInputError || error instanceof TrainingError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(65);
  }
  if (error instanceof FileError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(66);
  }
  const frames = error instanceof Error ? (error.stack ?? '').split('\n').slice(1).join('\n') : '';
  process.stderr.write(`error: unexpected ${error instanceof Error ? error.name : 'failure'}\n${frames}\n`);
  process.exit(1);
}
