import type { z } from 'zod';
import type { CallOptions } from '../resilience/callOptions.js';
import { malformedPayload } from '../resilience/sourceError.js';
import type { EraseOutcome } from './erasure.js';
import { PersistentMap } from './persistentMap.js';

/**
 * An embedded source (the CRM, the loyalty system): records in process by
 * their id, written through to a JSON file under the data dir, each checked
 * against the source's schema on the way out (a malformed one fails its own
 * key only).
 */
export class EmbeddedRecords<T> {
  private constructor(
    private readonly source: string,
    private readonly schema: z.ZodType<T>,
    private readonly records: PersistentMap<T>,
  ) {}

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
      if (stored === undefined) return null;
      const parsed = this.schema.safeParse(stored);
      return parsed.success ? parsed.data : malformedPayload(this.source, parsed.error.issues);
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
