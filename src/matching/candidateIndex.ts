import { blockingKeys } from './blocking.js';
import type { CompiledModel } from './model.js';
import type { PreparedRecord } from './prepare.js';
import { MIN_TERM_FREQUENCY_POPULATION, TermFrequencies } from './termFrequencies.js';

/**
 * The blocking rules of a model as a lookup, for scoring one record as it
 * arrives (online matching): per rule and key, the records holding it, and
 * the term frequencies of the records held. A record is compared with the
 * records that share a key of some rule, as batch blocking would pair them;
 * a block over the model's `maxBlockSize` is left out, as in batch.
 */
export class CandidateIndex {
  private readonly records = new Map<string, { readonly record: PreparedRecord; readonly keys: readonly string[]; readonly signature: string }>();
  private readonly blocks = new Map<string, Set<string>>();
  readonly frequencies: TermFrequencies;

  constructor(
    readonly compiled: CompiledModel,
    /** Records held at most; `put` of a new record past it is refused (the caller reports it). */
    readonly capacity: number = Number.POSITIVE_INFINITY,
  ) {
    this.frequencies = TermFrequencies.empty(compiled.fields.filter((field) => compiled.model.attributes[field]!.termFrequency));
  }

  get size(): number {
    return this.records.size;
  }

  /** The term frequencies to score with: none (unadjusted weights) while the index holds too few records to count on. */
  get adjustment(): TermFrequencies | undefined {
    return this.records.size >= MIN_TERM_FREQUENCY_POPULATION ? this.frequencies : undefined;
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  /**
   * Holds a record (replacing the one with its id). `unchanged` when the one
   * held had the same values, `full` when a new record finds the index at
   * capacity (nothing held then).
   */
  put(record: PreparedRecord): 'added' | 'changed' | 'unchanged' | 'full' {
    const signature = signatureOf(record);
    const held = this.records.get(record.id);
    if (held?.signature === signature) return 'unchanged';
    if (!held && this.records.size >= this.capacity) return 'full';
    if (held) this.remove(record.id);
    const keys = this.compiled.model.blocking.rules.flatMap((rule, r) => blockingKeys(rule, record).map((key) => `${r}\u0002${key}`));
    for (const key of keys) {
      const block = this.blocks.get(key);
      if (block) block.add(record.id);
      else this.blocks.set(key, new Set([record.id]));
    }
    this.records.set(record.id, { record, keys, signature });
    this.frequencies.add(record);
    return held ? 'changed' : 'added';
  }

  remove(id: string): void {
    const held = this.records.get(id);
    if (!held) return;
    for (const key of held.keys) {
      const block = this.blocks.get(key);
      block?.delete(id);
      if (block?.size === 0) this.blocks.delete(key);
    }
    this.records.delete(id);
    this.frequencies.remove(held.record);
  }

  /** The records a held record shares a blocking key with (itself left out). */
  candidates(id: string): PreparedRecord[] {
    const held = this.records.get(id);
    if (!held) return [];
    const { maxBlockSize } = this.compiled.model.blocking;
    const found = new Set<string>();
    for (const key of held.keys) {
      const block = this.blocks.get(key)!;
      if (block.size > maxBlockSize) continue;
      for (const other of block) if (other !== id) found.add(other);
    }
    return [...found].map((other) => this.records.get(other)!.record);
  }
}

/** The normalized values of a record, to tell whether a write changed what the matcher compares. */
function signatureOf(record: PreparedRecord): string {
  return record.fields.map((values) => (values ?? []).map((value) => value.text).join('\u0001')).join('\u0002');
}
