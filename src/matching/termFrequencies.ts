import type { MatchField } from './fields.js';
import { FIELD_INDEX } from './prepare.js';
import type { PreparedRecord } from './prepare.js';

/**
 * How often each normalized value occurs among the records being matched,
 * for the attributes with term-frequency adjustment. An exact agreement on
 * a value held by a share f of records weighs log2(u_exact / f) more than
 * the attribute's average exact agreement: positive for a rare surname,
 * negative for a common one. Counted on the records matched together, so
 * the model file never holds a name.
 */
export class TermFrequencies {
  private constructor(
    private readonly counts: ReadonlyMap<number, ReadonlyMap<string, number>>,
    private readonly totals: ReadonlyMap<number, number>,
  ) {}

  static count(records: readonly PreparedRecord[], fields: readonly MatchField[]): TermFrequencies {
    const counts = new Map<number, Map<string, number>>();
    const totals = new Map<number, number>();
    for (const field of fields) {
      const index = FIELD_INDEX[field];
      const byValue = new Map<string, number>();
      let total = 0;
      for (const record of records) {
        for (const value of record.fields[index] ?? []) {
          byValue.set(value.text, (byValue.get(value.text) ?? 0) + 1);
          total++;
        }
      }
      counts.set(index, byValue);
      totals.set(index, total);
    }
    return new TermFrequencies(counts, totals);
  }

  /** The share of values of the attribute (by MATCH_FIELDS index) equal to `text`, or undefined when it was not counted. */
  frequency(fieldIndex: number, text: string): number | undefined {
    const count = this.counts.get(fieldIndex)?.get(text);
    const total = this.totals.get(fieldIndex);
    return count && total ? count / total : undefined;
  }
}
