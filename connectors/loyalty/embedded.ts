import type { CallOptions } from '../resilience/callOptions.js';
import { malformedPayload } from '../resilience/sourceError.js';
import type { EraseOutcome } from '../shared/erasure.js';
import { PersistentMap } from '../shared/persistentMap.js';
import type { LoyaltyAccountRecord, LoyaltyPort } from './port.js';
import { loyaltyMemberSchema } from './schemas.js';

/** The embedded loyalty store: members in process, written through to a JSON file under the data dir. */
export class EmbeddedLoyalty implements LoyaltyPort {
  private constructor(private readonly members: PersistentMap<LoyaltyAccountRecord>) {}

  static async open(file: string | undefined, seed: readonly LoyaltyAccountRecord[]): Promise<EmbeddedLoyalty> {
    const members = await PersistentMap.open(file, () => seed.map((m): [string, LoyaltyAccountRecord] => [m.customerRef, m]));
    return new EmbeddedLoyalty(members);
  }

  async getMany(customerRefs: readonly string[], _options?: CallOptions): Promise<Array<LoyaltyAccountRecord | null | Error>> {
    return customerRefs.map((ref) => {
      const stored = this.members.get(ref);
      if (stored === undefined) return null;
      const parsed = loyaltyMemberSchema.safeParse(stored);
      return parsed.success ? parsed.data : malformedPayload('loyalty', parsed.error.issues);
    });
  }

  async erase(customerRefs: readonly string[], _options?: CallOptions): Promise<EraseOutcome> {
    const deleted = await Promise.all([...new Set(customerRefs)].map((ref) => this.members.delete(ref)));
    return deleted.some(Boolean) ? 'erased' : 'not_found';
  }

  /** All members, for serving the store over the HTTP contract (bench and tests). */
  list(): LoyaltyAccountRecord[] {
    return [...this.members.values()];
  }

  async health(): Promise<void> {}

  async close(): Promise<void> {
    await this.members.flush();
  }
}
