import { fakerEN, fakerEN_AU as faker } from '@faker-js/faker';

/**
 * FEBRL-style synthetic person records, generated the way FEBRL's data set
 * generator (dsgen, `generate.py`, Christen 2005) makes its FEBRL 3 and 4
 * data sets: originals from frequency-weighted value lists, then duplicates
 * of randomly chosen originals, each with field swaps and then typing
 * errors drawn per field with FEBRL's selection and per-operation
 * probabilities. Values come from faker's en_AU lists (FEBRL's frequency
 * files are Australian too; given names add faker's en list, en_AU has only
 * 200) with long-tailed weights standing in for FEBRL's real-world counts.
 * Deterministic for a seed. bench/data/README.md says how this mirrors FEBRL
 * and where it differs.
 */

export const FIELDS = ['given_name', 'surname', 'street_number', 'address_1', 'address_2', 'suburb', 'postcode', 'state', 'date_of_birth', 'soc_sec_id'] as const;
export type Field = (typeof FIELDS)[number];
export type PersonRecord = { readonly rec_id: string } & Partial<Record<Field, string>>;

type Op = 'ins' | 'del' | 'sub' | 'trans' | 'valSwap' | 'wrdSwap' | 'spcIns' | 'spcDel' | 'miss' | 'newVal';
type CharRange = 'alpha' | 'digit';

interface FieldSpec {
  readonly range: CharRange;
  /** Share of modifications that land on this field. */
  readonly select: number;
  /** Chance an original has no value. */
  readonly missing: number;
  readonly ops: Readonly<Partial<Record<Op, number>>>;
  readonly value: () => string;
}

/** The parameters of a FEBRL data set: `generate.py out num_org num_dup max_dups max_per_field max_per_record distribution`. */
export interface FebrlShape {
  readonly originals: number;
  readonly duplicates: number;
  readonly maxDuplicatesPerOriginal: number;
  readonly maxModificationsPerField: number;
  readonly maxModificationsPerRecord: number;
  readonly distribution: 'uniform' | 'zipf';
}

/** FEBRL 3: `generate.py dataset3.csv 2000 3000 5 4 6 zipf`. */
export const FEBRL3: FebrlShape = { originals: 2000, duplicates: 3000, maxDuplicatesPerOriginal: 5, maxModificationsPerField: 4, maxModificationsPerRecord: 6, distribution: 'zipf' };
/** FEBRL 4: `generate.py dataset4.csv 5000 5000 1 2 4 uniform`, originals then split into file A and duplicates into file B. */
export const FEBRL4: FebrlShape = { originals: 5000, duplicates: 5000, maxDuplicatesPerOriginal: 1, maxModificationsPerField: 2, maxModificationsPerRecord: 4, distribution: 'uniform' };

/**
 * A value list with weights 1/(rank + flatten) (Zipf–Mandelbrot): a head of
 * common values and a long tail of rare ones, like name and place frequency
 * tables. `flatten` keeps the commonest value near its real share (about 1%
 * of people share the commonest given name, fewer the commonest surname).
 */
function weighted(values: readonly string[], flatten: number): () => string {
  const cumulative: number[] = [];
  let total = 0;
  values.forEach((_, i) => cumulative.push((total += 1 / (i + 1 + flatten))));
  return () => {
    const draw = faker.number.float({ min: 0, max: total });
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (cumulative[mid]! < draw) low = mid + 1;
      else high = mid;
    }
    return values[low]!;
  };
}

function distinct(make: () => string, count: number): string[] {
  const seen = new Set<string>();
  for (let tries = 0; seen.size < count && tries < count * 20; tries++) seen.add(make().toLowerCase());
  return [...seen];
}

/** FEBRL's field dictionaries: selection, missing and per-operation probabilities (misspelling-table shares go to substitution: no tables here). */
function fieldSpecs(): Record<Field, FieldSpec> {
  const given = weighted(distinct(() => faker.helpers.arrayElement([faker.person.firstName(), fakerEN.person.firstName()]), 3000), 20);
  const surnames = weighted(distinct(() => faker.person.lastName(), 2700), 50);
  const streets = weighted(distinct(() => faker.location.street(), 5000), 20);
  const properties = weighted(distinct(() => `${faker.word.adjective()} ${faker.helpers.arrayElement(['park', 'court', 'village', 'gardens', 'house', 'lodge'])}`, 300), 5);
  const suburbs = weighted(distinct(() => faker.location.city(), 3000), 20);
  const postcodes = weighted(distinct(() => faker.location.zipCode('####'), 2500), 20);
  const states = weighted(['nsw', 'vic', 'qld', 'wa', 'sa', 'tas', 'act', 'nt'], 0);
  const streetNumbers = weighted(Array.from({ length: 400 }, (_, i) => String(i + 1)), 2);
  return {
    given_name: { range: 'alpha', select: 0.1, missing: 0.02, value: given, ops: { ins: 0.05, del: 0.15, sub: 0.65, trans: 0.05, valSwap: 0.02, wrdSwap: 0.02, spcIns: 0.01, spcDel: 0.01, miss: 0.02, newVal: 0.02 } },
    surname: { range: 'alpha', select: 0.15, missing: 0.02, value: surnames, ops: { ins: 0.1, del: 0.1, sub: 0.65, trans: 0.04, valSwap: 0.02, wrdSwap: 0.02, spcIns: 0.01, spcDel: 0.02, miss: 0.02, newVal: 0.02 } },
    street_number: { range: 'digit', select: 0.1, missing: 0.02, value: streetNumbers, ops: { ins: 0.1, del: 0.15, sub: 0.6, trans: 0.05, valSwap: 0.05, wrdSwap: 0.01, miss: 0.02, newVal: 0.02 } },
    address_1: { range: 'alpha', select: 0.1, missing: 0.04, value: streets, ops: { ins: 0.1, del: 0.15, sub: 0.55, trans: 0.05, valSwap: 0.02, wrdSwap: 0.03, spcIns: 0.02, spcDel: 0.03, miss: 0.04, newVal: 0.01 } },
    address_2: { range: 'alpha', select: 0.1, missing: 0.6, value: properties, ops: { ins: 0.04, del: 0.04, sub: 0.1, trans: 0.02, valSwap: 0.03, wrdSwap: 0.04, spcIns: 0.02, spcDel: 0.01, miss: 0.6, newVal: 0.1 } },
    suburb: { range: 'alpha', select: 0.1, missing: 0.01, value: suburbs, ops: { ins: 0.1, del: 0.15, sub: 0.62, trans: 0.04, valSwap: 0.01, wrdSwap: 0.02, spcIns: 0.02, spcDel: 0.02, miss: 0.01, newVal: 0.01 } },
    postcode: { range: 'digit', select: 0.05, missing: 0.01, value: postcodes, ops: { sub: 0.35, trans: 0.6, valSwap: 0.03, miss: 0.01, newVal: 0.01 } },
    state: { range: 'alpha', select: 0.05, missing: 0.1, value: states, ops: { ins: 0.1, del: 0.1, sub: 0.55, trans: 0.02, valSwap: 0.03, miss: 0.1, newVal: 0.1 } },
    date_of_birth: { range: 'digit', select: 0.1, missing: 0.1, value: dateOfBirth, ops: { sub: 0.5, trans: 0.3, valSwap: 0.05, miss: 0.1, newVal: 0.05 } },
    soc_sec_id: { range: 'digit', select: 0.05, missing: 0, value: () => String(faker.number.int({ min: 1_000_000, max: 9_999_998 })), ops: { sub: 0.5, trans: 0.4, valSwap: 0.1 } },
  };
}

function dateOfBirth(): string {
  const date = faker.date.between({ from: '1900-01-01T00:00:00Z', to: '1999-12-31T00:00:00Z' });
  return date.toISOString().slice(0, 10).replace(/-/g, '');
}

/** Pairs of fields whose values FEBRL swaps in a duplicate (each swap counts as two modifications). */
const FIELD_SWAPS: ReadonlyArray<readonly [Field, Field, number]> = [
  ['address_1', 'address_2', 0.02],
  ['given_name', 'surname', 0.05],
  ['postcode', 'suburb', 0.01],
];

/** Keyboard neighbours on a QWERTY layout: typing errors land next to the intended key more often than anywhere. */
const ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm', '1234567890'];
const SAME_ROW = 0.4;
const SAME_COLUMN = 0.3;

function typo(char: string, range: CharRange): string {
  const row = ROWS.find((r) => r.includes(char));
  const draw = faker.number.float();
  if (row && draw <= SAME_ROW) {
    const at = row.indexOf(char);
    const neighbours = [row[at - 1], row[at + 1]].filter((c): c is string => c !== undefined);
    return faker.helpers.arrayElement(neighbours);
  }
  if (row && range === 'alpha' && draw <= SAME_ROW + SAME_COLUMN) {
    const at = row.indexOf(char);
    const above = ROWS[ROWS.indexOf(row) - 1]?.[at];
    const below = ROWS[ROWS.indexOf(row) + 1]?.[at];
    const neighbours = [above, below].filter((c): c is string => c !== undefined && /[a-z]/.test(c));
    if (neighbours.length > 0) return faker.helpers.arrayElement(neighbours);
  }
  const alphabet = (range === 'digit' ? '0123456789' : 'abcdefghijklmnopqrstuvwxyz').replace(char, '');
  return faker.helpers.arrayElement([...alphabet]);
}

/** Errors sit around the middle of a word more than at its start (a Gaussian around the middle, as FEBRL places them). */
function errorPosition(value: string, offset: number): number {
  const last = value.length - 1 + offset;
  const middle = (value.length + offset) / 2 + 1;
  const position = Math.round(middle + gaussian());
  return Math.max(0, Math.min(position, last));
}

function gaussian(): number {
  const u = 1 - faker.number.float();
  const v = faker.number.float();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function pick<T extends string>(weights: Readonly<Partial<Record<T, number>>>): T {
  const entries = Object.entries(weights) as Array<[T, number]>;
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let draw = faker.number.float({ min: 0, max: total });
  for (const [key, weight] of entries) if ((draw -= weight) <= 0) return key;
  return entries.at(-1)![0];
}

/** One modification of one field value; undefined is a missing value. */
function modify(value: string | undefined, op: Op, spec: FieldSpec): string | undefined {
  if (value === undefined || value === '') return op === 'newVal' ? spec.value() : value;
  const chars = spec.range === 'digit' ? '0123456789' : 'abcdefghijklmnopqrstuvwxyz';
  switch (op) {
    case 'ins': {
      const at = errorPosition(value, 1);
      return value.slice(0, at) + faker.helpers.arrayElement([...chars]) + value.slice(at);
    }
    case 'del': {
      if (value.length < 2) return value;
      const at = errorPosition(value, 0);
      return value.slice(0, at) + value.slice(at + 1);
    }
    case 'sub': {
      const at = errorPosition(value, 0);
      return value.slice(0, at) + typo(value[at]!, spec.range) + value.slice(at + 1);
    }
    case 'trans': {
      if (value.length < 2) return value;
      const at = Math.min(errorPosition(value, -1), value.length - 2);
      return value.slice(0, at) + value[at + 1] + value[at] + value.slice(at + 2);
    }
    case 'valSwap':
      return spec.value();
    case 'wrdSwap': {
      const words = value.split(' ');
      if (words.length < 2) return value;
      const at = faker.number.int({ min: 0, max: words.length - 2 });
      [words[at], words[at + 1]] = [words[at + 1]!, words[at]!];
      return words.join(' ');
    }
    case 'spcIns': {
      if (value.length < 2) return value;
      const at = faker.number.int({ min: 1, max: value.length - 1 });
      return `${value.slice(0, at)} ${value.slice(at)}`;
    }
    case 'spcDel':
      return value.replace(' ', '');
    case 'miss':
      return undefined;
    case 'newVal':
      return value;
  }
}

function duplicateOf(original: PersonRecord, id: string, specs: Record<Field, FieldSpec>, shape: FebrlShape): PersonRecord {
  const record: Record<string, string | undefined> = { ...original, rec_id: id };
  const perField = new Map<Field, number>(FIELDS.map((field) => [field, 0]));
  let modifications = 0;
  if (shape.maxModificationsPerRecord > 1) {
    for (const [a, b, probability] of faker.helpers.shuffle([...FIELD_SWAPS])) {
      if (faker.number.float() > probability || modifications > shape.maxModificationsPerRecord - 2 || !record[a] || !record[b]) continue;
      [record[a], record[b]] = [record[b], record[a]];
      modifications += 2;
      perField.set(a, perField.get(a)! + 1);
      perField.set(b, perField.get(b)! + 1);
    }
  }
  const selection = Object.fromEntries(FIELDS.map((field) => [field, specs[field].select])) as Record<Field, number>;
  while (modifications < shape.maxModificationsPerRecord) {
    const open = FIELDS.filter((field) => perField.get(field)! < shape.maxModificationsPerField);
    if (open.length === 0) break;
    const field = pick(Object.fromEntries(open.map((f) => [f, selection[f]])) as Record<Field, number>);
    const count = Math.min(faker.number.int({ min: 1, max: shape.maxModificationsPerField - perField.get(field)! }), shape.maxModificationsPerRecord - modifications);
    for (let i = 0; i < count; i++) record[field] = modify(record[field], pick(specs[field].ops), specs[field]);
    perField.set(field, perField.get(field)! + count);
    modifications += count;
  }
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined && value !== '')) as PersonRecord;
}

/** How many duplicates an original gets: uniform, or Zipf with FEBRL's theta of 0.5. */
function duplicateCount(shape: FebrlShape): number {
  if (shape.distribution === 'uniform') return faker.number.int({ min: 1, max: shape.maxDuplicatesPerOriginal });
  const weights = Object.fromEntries(Array.from({ length: shape.maxDuplicatesPerOriginal }, (_, i) => [String(i + 1), 1 / (i + 1) ** 0.5]));
  return Number(pick(weights));
}

/** Originals, then their duplicates, in FEBRL's record id scheme: `rec-<n>-org`, `rec-<n>-dup-<d>`. */
export function generateFebrl(shape: FebrlShape, seed: number): { originals: PersonRecord[]; duplicates: PersonRecord[] } {
  faker.seed(seed);
  fakerEN.seed(seed);
  const specs = fieldSpecs();
  const originals: PersonRecord[] = [];
  const seen = new Set<string>();
  while (originals.length < shape.originals) {
    const record: Record<string, string> = { rec_id: `rec-${originals.length}-org` };
    for (const field of FIELDS) if (faker.number.float() >= specs[field].missing) record[field] = specs[field].value();
    const { rec_id: _id, ...fields } = record;
    const signature = JSON.stringify(fields);
    if (seen.has(signature)) continue;
    seen.add(signature);
    originals.push(record as PersonRecord);
  }
  const duplicates: PersonRecord[] = [];
  const unused = faker.helpers.shuffle(originals.map((_, i) => i));
  while (duplicates.length < shape.duplicates && unused.length > 0) {
    const n = unused.pop()!;
    const count = duplicateCount(shape);
    for (let d = 0; d < count && duplicates.length < shape.duplicates; d++) duplicates.push(duplicateOf(originals[n]!, `rec-${n}-dup-${d}`, specs, shape));
  }
  return { originals, duplicates };
}

export function toCsv(records: readonly PersonRecord[]): string {
  const header = ['rec_id', ...FIELDS];
  const quote = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  return [header.join(','), ...records.map((record) => header.map((field) => quote((record as Record<string, string | undefined>)[field] ?? '')).join(','))].join('\n') + '\n';
}

export function fromCsv(text: string): PersonRecord[] {
  const [head, ...lines] = text.trim().split('\n');
  const header = head!.split(',');
  return lines.map((line) => {
    const cells = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((cell) => cell.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
    return Object.fromEntries(header.map((field, i) => [field, cells[i] ?? '']).filter(([, value]) => value !== '')) as PersonRecord;
  });
}

/** The entity a FEBRL record id stands for: `rec-12-org` and `rec-12-dup-3` are one person. */
export function entityOf(recId: string): string {
  return recId.split('-')[1]!;
}

/** Seeds of the committed data sets. */
export const FEBRL_SEEDS = { febrl3: 3, febrl4: 4 } as const;

/** The three committed files, as CSV text: FEBRL 3 in one interleaved file, FEBRL 4 as file A (originals) and file B (duplicates). */
export function febrlFiles(): { febrl3: string; febrl4a: string; febrl4b: string } {
  const three = generateFebrl(FEBRL3, FEBRL_SEEDS.febrl3);
  const four = generateFebrl(FEBRL4, FEBRL_SEEDS.febrl4);
  return { febrl3: toCsv(interleaved([...three.originals, ...three.duplicates])), febrl4a: toCsv(four.originals), febrl4b: toCsv(four.duplicates) };
}

/** A fixed interleaving of originals and duplicates: FEBRL's files are not grouped by person. */
function interleaved<T>(items: T[]): T[] {
  let state = 360;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
