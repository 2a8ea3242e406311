import type { CallOptions } from '../resilience/callOptions.js';
import { malformedPayload } from '../resilience/sourceError.js';
import type { EraseOutcome } from '../shared/erasure.js';
import { PersistentMap } from '../shared/persistentMap.js';
import type { LoyaltyAccountRecord, LoyaltyPort } from './port.js';
import { loyaltyMemberSchema } from './schemas.js';

/** The embedded loyalty store: members in process by member id, written through to a JSON file under the data dir. */
export class EmbeddedLoyalty implements LoyaltyPort {
  private constructor(private readonly members: PersistentMap<LoyaltyAccountRecord>) {}

  static async open(file: string | undefined, seed: readonly LoyaltyAccountRecord[]): Promise<EmbeddedLoyalty> {
    const members = await PersistentMap.open(file, () => seed, (member) => String(member.memberId));
    return new EmbeddedLoyalty(members);
  }

  async getMany(memberIds: readonly string[], _options?: CallOptions): Promise<Array<LoyaltyAccountRecord | null | Error>> {
    return memberIds.map((memberId) => {
      const stored = this.members.get(memberId);
      if (stored === undefined) return null;
      const parsed = loyaltyMemberSchema.safeParse(stored);
      return parsed.success ? parsed.data : malformedPayload('loyalty', parsed.error.issues);
    });
  }

  async erase(memberIds: readonly string[], _options?: CallOptions): Promise<EraseOutcome> {
    const deleted = await Promise.all([...new Set(memberIds)].map((memberId) => this.members.delete(memberId)));
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
