import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readLabelledCsv } from '../../src/tools/recordsCsv.js';
import type { CsvMapping, LabelledRecords } from '../../src/tools/recordsCsv.js';

/**
 * The FEBRL 3 and 4 data sets in bench/data/febrl/ (see its README): their
 * columns mapped onto the matcher's attributes, and the true person of each
 * record taken from `rec_id` (`rec-<n>-org`, `rec-<n>-dup-<k>`: n is the
 * person). `rec_id` is never a matching attribute.
 */
export const FEBRL_DIR = fileURLToPath(new URL('../data/febrl/', import.meta.url));

export const FEBRL_MAPPING: CsvMapping = {
  id: 'rec_id',
  cluster: 'rec_id',
  fields: {
    firstName: 'given_name',
    lastName: 'surname',
    streetNumber: 'street_number',
    street: 'address_1',
    locality: 'address_2',
    city: 'suburb',
    postcode: 'postcode',
    state: 'state',
    birthDate: 'date_of_birth',
    nationalId: 'soc_sec_id',
  },
};

/** The person number in a FEBRL record id. */
export function entityOf(recId: string): string {
  const match = /^rec-(\d+)-/.exec(recId);
  if (!match) throw new Error('a FEBRL record id is rec-<n>-org or rec-<n>-dup-<k>');
  return match[1]!;
}

export type FebrlFile = 'dataset3' | 'dataset4a' | 'dataset4b';

export function readFebrl(file: FebrlFile, source?: string): LabelledRecords {
  const read = readLabelledCsv(readFileSync(`${FEBRL_DIR}${file}.csv`, 'utf8'), FEBRL_MAPPING, `${file}.csv`);
  return {
    records: source === undefined ? read.records : read.records.map((r) => ({ ...r, source })),
    clusters: read.clusters.map(entityOf),
    warnings: read.warnings,
  };
}
