import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * A Map kept in memory and, when given a file, written through to JSON
 * (write to a temp file, then rename, so a crash never leaves half a file).
 * Backs the embedded CRM and loyalty stores so that an erasure survives a
 * restart of the embedded gateway.
 */
export class PersistentMap<V> {
  private readonly entries = new Map<string, V>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string | undefined) {}

  /**
   * Opens the file, or seeds a new one. Entries are keyed by `keyOf(value)`,
   * so a file written under an older key (a data dir from before the stores
   * were keyed by the source's own ids) is re-keyed, and written back, on open.
   */
  static async open<V>(file: string | undefined, seed: () => Iterable<V>, keyOf: (value: V) => string): Promise<PersistentMap<V>> {
    const map = new PersistentMap<V>(file);
    const stored = file ? await readJson<Array<[string, V]>>(file) : undefined;
    let rekeyed = false;
    for (const value of stored ? stored.map(([, value]) => value) : seed()) map.entries.set(keyOf(value), value);
    if (stored) rekeyed = stored.some(([key, value]) => key !== keyOf(value));
    if (file && (!stored || rekeyed)) await map.flush();
    return map;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  values(): IterableIterator<V> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  async set(key: string, value: V): Promise<void> {
    this.entries.set(key, value);
    await this.flush();
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.entries.delete(key);
    if (existed) await this.flush();
    return existed;
  }

  /** Serializes writes so the file always holds the latest whole state. */
  flush(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(file), { recursive: true });
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify([...this.entries]));
      await rename(temp, file);
    });
    return this.writing;
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
