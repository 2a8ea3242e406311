import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMatchModel } from '../src/matching/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const FIXTURE = 'test/fixtures/matching-customers.csv';

/** A command as a user runs it: a child process, its exit code and both streams. */
async function command(script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}
const evaluate = (...args: string[]) => command('bench/resolution-eval.ts', ...args);

/** The fixture's columns: a BOM, a header with a comma inside quotes, mixed date formats, quoted values with commas, empty values. */
const MAPPING = ['--map', 'firstName=Given Name', '--map', 'lastName=FAMILY_NAME', '--map', 'birthDate=Date of Birth', '--map', 'email=E-mail, primary', '--map', 'phone=Mobile', '--map', 'postcode=Post Code', '--map', 'city=Town'];

describe('npm run resolution:eval -- --csv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'c360-resolution-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('scores a labelled CSV with its own column names and ends with one JSON line', async () => {
    const result = await evaluate('--csv', FIXTURE, '--id', 'Kunden-Nr.', '--cluster', 'Person (truth)', ...MAPPING, '--json');
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = result.stdout.trimEnd().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toEqual({
      precision: 1,
      recall: 1,
      f1: 1,
      // 60 people: 40 with one duplicate (40 pairs), 10 with two (30 pairs)
      truePairs: 70,
      predictedPairs: 70,
      correctPairs: 70,
      seconds: expect.any(Number),
      threshold: 0.5,
      records: 120,
      attributes: ['firstName', 'lastName', 'birthDate', 'email', 'phone', 'city', 'postcode'],
      candidatePairs: 72,
      comparablePairs: 7_140,
      blockingFraction: 72 / 7_140,
    });
    expect(lines[0]).toBe('records: 120; attributes modelled: firstName, lastName, birthDate, email, phone, city, postcode');
  });

  it('links fewer pairs at a stricter --threshold and matches header names ignoring case', async () => {
    const mapping = MAPPING.map((arg) => arg.replace('FAMILY_NAME', 'family_name'));
    const result = await evaluate('--csv', FIXTURE, '--id', 'kunden-nr.', '--cluster', 'PERSON (TRUTH)', ...mapping, '--threshold', '0.999999999', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout.trimEnd().split('\n').at(-1)!) as Record<string, number>;
    expect(json.threshold).toBe(0.999999999);
    expect(json.predictedPairs).toBeLessThan(70);
    expect(json.precision).toBe(1);
  });

  it.each([
    ['a mapped column the file lacks', ['--csv', FIXTURE, '--id', 'Kunden-Nr.', '--cluster', 'Person (truth)', '--map', 'lastName=Surname'], 65, 'column "Surname" (--map lastName) is not in the header of test/fixtures/matching-customers.csv; its columns are: Kunden-Nr., Person (truth), Given Name, FAMILY_NAME'],
    ['a cluster column the file lacks', ['--csv', FIXTURE, '--id', 'Kunden-Nr.', '--cluster', 'truth', ...MAPPING], 65, 'column "truth" (--cluster) is not in the header'],
    ['an unknown FIELD', ['--csv', FIXTURE, '--id', 'Kunden-Nr.', '--cluster', 'Person (truth)', '--map', 'surname=FAMILY_NAME'], 64, 'unknown FIELD "surname"; FIELD is one of firstName, lastName, birthDate, email, phone, streetNumber, street, locality, city, postcode, state, nationalId'],
    ['a --map without a column', ['--csv', FIXTURE, '--id', 'Kunden-Nr.', '--cluster', 'Person (truth)', '--map', 'lastName'], 64, 'give the column as --map lastName=COLUMN'],
    ['a FIELD mapped twice', ['--csv', FIXTURE, '--id', 'Kunden-Nr.', '--cluster', 'Person (truth)', '--map', 'lastName=FAMILY_NAME', '--map', 'lastName=Town'], 64, '--map lastName is given twice'],
    ['no --map', ['--csv', FIXTURE, '--id', 'Kunden-Nr.', '--cluster', 'Person (truth)'], 64, 'at least one --map FIELD=COLUMN'],
    ['no --cluster', ['--csv', FIXTURE, '--id', 'Kunden-Nr.', ...MAPPING], 64, '--csv needs --cluster COLUMN'],
    ['a threshold of 1', ['--csv', FIXTURE, '--id', 'Kunden-Nr.', '--cluster', 'Person (truth)', ...MAPPING, '--threshold', '1'], 64, '--threshold must be a probability strictly between 0 and 1'],
    ['a threshold that is not a number', ['--csv', FIXTURE, '--id', 'Kunden-Nr.', '--cluster', 'Person (truth)', ...MAPPING, '--threshold', 'high'], 64, '--threshold must be a probability'],
    ['an unknown option', ['--csv', FIXTURE, '--fuzzy'], 64, "Unknown option '--fuzzy'"],
    ['a file that does not exist', ['--csv', 'no/such/file.csv', '--id', 'id', '--cluster', 'c', '--map', 'lastName=l'], 66, 'cannot read no/such/file.csv (ENOENT)'],
  ])('refuses %s with a message naming it', { concurrent: true }, async (_case, args, code, message) => {
    const result = await evaluate(...args);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
    expect(result.stderr).toContain(message);
  });

  it('refuses a file with a header and no rows, and one whose mapped columns are all empty, as unusable data', async () => {
    const headerOnly = join(dir, 'header-only.csv');
    writeFileSync(headerOnly, 'id,person,surname\n');
    const empty = join(dir, 'empty-values.csv');
    writeFileSync(empty, 'id,person,surname\n1,a,\n2,a,\n3,b,\n');
    const args = ['--id', 'id', '--cluster', 'person', '--map', 'lastName=surname'];
    expect(await evaluate('--csv', headerOnly, ...args)).toEqual({ code: 65, stdout: '', stderr: `error: ${headerOnly} has a header but no rows\n` });
    expect(await evaluate('--csv', empty, ...args)).toEqual({ code: 65, stdout: '', stderr: 'error: no attribute has values in enough records to train on\n' });
    const single = join(dir, 'single.csv');
    writeFileSync(single, 'id,person,surname\n1,a,smith\n');
    expect(await evaluate('--csv', single, ...args)).toEqual({ code: 65, stdout: '', stderr: 'error: training needs at least two records that may be compared\n' });
  });

  it('scores a file in which nobody is anybody else: nothing to find, nothing linked', async () => {
    const strangers = join(dir, 'strangers.csv');
    writeFileSync(strangers, '\uFEFFid;person;surname;born\n1;a;"Smith; Jr";1970-01-01\n2;b;Lee;02/03/1981\n3;c;;\n');
    const result = await evaluate('--csv', strangers, '--id', 'id', '--cluster', 'person', '--map', 'lastName=surname', '--map', 'birthDate=born', '--json');
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout.trimEnd().split('\n').at(-1)!)).toMatchObject({ precision: 1, recall: 1, f1: 1, truePairs: 0, predictedPairs: 0, records: 3, attributes: ['lastName', 'birthDate'], candidatePairs: 0 });
  });
});

describe('npm run resolution:train -- --csv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'c360-resolution-train-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains on an unlabelled CSV and writes a model the loader accepts', async () => {
    const out = join(dir, 'model.json');
    const result = await command('scripts/resolution-train.ts', '--csv', FIXTURE, ...MAPPING, '--out', out);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^model matching-customers: 120 records, prior /);
    const compiled = loadMatchModel(out);
    expect({ name: compiled.model.name, fields: compiled.fields, records: compiled.model.training.records }).toEqual({
      name: 'matching-customers',
      fields: ['firstName', 'lastName', 'birthDate', 'email', 'phone', 'city', 'postcode'],
      records: 120,
    });
  });

  it('refuses an unknown FIELD', async () => {
    const result = await command('scripts/resolution-train.ts', '--csv', FIXTURE, '--map', 'given=Given Name', '--out', join(dir, 'never.json'));
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('unknown FIELD "given"');
  });
});
