import type { z } from 'zod';
import type { CallOptions } from '../resilience/callOptions.js';
import type { EraseOutcome } from './erasure.js';
import { PersistentMap } from './persistentMap.js';
import { TrustedRecords } from './trustedRecords.js';

/**
 * An embedded source (the CRM, the loyalty system): records in process by
 * their id, written through to a JSON file under the data dir. A trusted
 * in-process store: each stored record is checked against the source's
 * schema once, when opened (a malformed one fails its own key only), and
 * handed out frozen on every read (connectors/shared/trustedRecords.ts).
 */
export class EmbeddedRecords<T> {
  /** Answers from process memory: its guard skips the remote policy (SourceGuard.markInProcess). */
  readonly inProcess = true;
  private readonly trusted: TrustedRecords;

  private constructor(
    source: string,
    private readonly schema: z.ZodType<T>,
    private readonly records: PersistentMap<T>,
  ) {
    this.trusted = new TrustedRecords(source);
    for (const stored of records.values()) this.trusted.read(schema, stored as object);
  }

  static async open<T>(
    source: string,
    schema: z.ZodType<T>,
    idOf: (record: T) => string,
    file: string | undefined,
    seed: readonly T[],
  ): Promise<EmbeddedRecords<T>> {
    return new EmbeddedRecords(source, schema, await PersistentMap.open(file, () => seed, idOf));
  }

  async getMany(ids: readonly string[], _options?: CallOptions): Promise<Array<T | null | Error>> {
    return ids.map((id) => {
      const stored = this.records.get(id);
      return stored === undefined ? null : this.trusted.read(this.schema, stored as object);
    });
  }

  async erase(ids: readonly string[], _options?: CallOptions): Promise<EraseOutcome> {
    const deleted = await Promise.all([...new Set(ids)].map((id) => this.records.delete(id)));
    return deleted.some(Boolean) ? 'erased' : 'not_found';
  }

  async health(): Promise<void> {}

  async close(): Promise<void> {
    await this.records.flush();
  }
}
