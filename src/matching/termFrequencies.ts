import type { MatchField } from './fields.js';
import { FIELD_INDEX } from './prepare.js';
import type { PreparedRecord } from './prepare.js';

/**
 * How often each normalized value occurs among the records being matched,
 * for the attributes with term-frequency adjustment. An exact agreement on
 * a value held by a share f of records weighs log2(u_exact / f) more than
 * the attribute's average exact agreement: positive for a rare surname,
 * negative for a common one. Counted on the records matched together, so
 * the model file never holds a name. Online scoring keeps the counts of the
 * customers it knows up to date with `add` and `remove`.
 */
/**
 * Below this many records a count says little about how common a name is
 * (among 20 customers one shared first name is "10 %"): scoring over the
 * single view then uses the levels' own weights, unadjusted.
 */
export const MIN_TERM_FREQUENCY_POPULATION = 1_000;

export class TermFrequencies {
  private constructor(
    private readonly counts: Map<number, Map<string, number>>,
    private readonly totals: Map<number, number>,
  ) {}

  /** No records yet: `add` counts them as they come. */
  static empty(fields: readonly MatchField[]): TermFrequencies {
    const indexes = fields.map((field) => FIELD_INDEX[field]);
    return new TermFrequencies(new Map(indexes.map((index) => [index, new Map()])), new Map(indexes.map((index) => [index, 0])));
  }

  static count(records: readonly PreparedRecord[], fields: readonly MatchField[]): TermFrequencies {
    const frequencies = TermFrequencies.empty(fields);
    for (const record of records) frequencies.add(record);
    return frequencies;
  }

  add(record: PreparedRecord): void {
    this.change(record, 1);
  }

  /** Takes back a record counted before (`add`); a record never added must not be removed. */
  remove(record: PreparedRecord): void {
    this.change(record, -1);
  }

  private change(record: PreparedRecord, by: 1 | -1): void {
    for (const [index, byValue] of this.counts) {
      for (const value of record.fields[index] ?? []) {
        const count = (byValue.get(value.text) ?? 0) + by;
        if (count > 0) byValue.set(value.text, count);
        else byValue.delete(value.text);
        this.totals.set(index, (this.totals.get(index) ?? 0) + by);
      }
    }
  }

  /** The share of values of the attribute (by MATCH_FIELDS index) equal to `text`, or undefined when it was not counted. */
  frequency(fieldIndex: number, text: string): number | undefined {
    const count = this.counts.get(fieldIndex)?.get(text);
    const total = this.totals.get(fieldIndex);
    return count && total ? count / total : undefined;
  }
}
