import { PersistentMap } from '../shared/persistentMap.js';
import type { CallOptions } from '../resilience/callOptions.js';
import type { EraseOutcome } from '../shared/erasure.js';
import { malformedPayload } from '../resilience/sourceError.js';
import type { CrmContactRecord, CrmPort } from './port.js';
import { crmContactSchema } from './schemas.js';

/** The embedded CRM: contacts in process, written through to a JSON file under the data dir. */
export class EmbeddedCrm implements CrmPort {
  private constructor(private readonly contacts: PersistentMap<CrmContactRecord>) {}

  static async open(file: string | undefined, seed: readonly CrmContactRecord[]): Promise<EmbeddedCrm> {
    const contacts = await PersistentMap.open(file, () => seed.map((c): [string, CrmContactRecord] => [c.customerRef, c]));
    return new EmbeddedCrm(contacts);
  }

  async getMany(customerRefs: readonly string[], _options?: CallOptions): Promise<Array<CrmContactRecord | null | Error>> {
    return customerRefs.map((ref) => {
      const stored = this.contacts.get(ref);
      if (stored === undefined) return null;
      const parsed = crmContactSchema.safeParse(stored);
      return parsed.success ? parsed.data : malformedPayload('crm', parsed.error.issues);
    });
  }

  async erase(customerRefs: readonly string[], _options?: CallOptions): Promise<EraseOutcome> {
    const deleted = await Promise.all([...new Set(customerRefs)].map((ref) => this.contacts.delete(ref)));
    return deleted.some(Boolean) ? 'erased' : 'not_found';
  }

  async health(): Promise<void> {}

  async close(): Promise<void> {
    await this.contacts.flush();
  }
}
