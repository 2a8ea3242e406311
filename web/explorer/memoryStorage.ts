/**
 * GraphiQL keeps tabs, queries, variables and history in its storage, and
 * by default that is localStorage, where a customer's email typed into a
 * variable would stay on the agent's disk. This keeps them for the page's
 * life only.
 */
export class MemoryStorage {
  private readonly items = new Map<string, string>();

  get length(): number {
    return this.items.size;
  }

  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }

  removeItem(key: string): void {
    this.items.delete(key);
  }

  clear(): void {
    this.items.clear();
  }
}
