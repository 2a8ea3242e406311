import { PersistentMap } from '../shared/persistentMap.js';
import type { CallOptions } from '../resilience/callOptions.js';
import type { EraseOutcome } from '../shared/erasure.js';
import { malformedPayload } from '../resilience/sourceError.js';
import type { CrmContactRecord, CrmPort } from './port.js';
import { crmContactSchema } from './schemas.js';

/** The embedded CRM: contacts in process by CRM id, written through to a JSON file under the data dir. */
export class EmbeddedCrm implements CrmPort {
  private constructor(private readonly contacts: PersistentMap<CrmContactRecord>) {}

  static async open(file: string | undefined, seed: readonly CrmContactRecord[]): Promise<EmbeddedCrm> {
    const contacts = await PersistentMap.open(file, () => seed, (contact) => String(contact.crmId));
    return new EmbeddedCrm(contacts);
  }

  async getMany(crmIds: readonly string[], _options?: CallOptions): Promise<Array<CrmContactRecord | null | Error>> {
    return crmIds.map((crmId) => {
      const stored = this.contacts.get(crmId);
      if (stored === undefined) return null;
      const parsed = crmContactSchema.safeParse(stored);
      return parsed.success ? parsed.data : malformedPayload('crm', parsed.error.issues);
    });
  }

  async erase(crmIds: readonly string[], _options?: CallOptions): Promise<EraseOutcome> {
    const deleted = await Promise.all([...new Set(crmIds)].map((crmId) => this.contacts.delete(crmId)));
    return deleted.some(Boolean) ? 'erased' : 'not_found';
  }

  async health(): Promise<void> {}

  async close(): Promise<void> {
    await this.contacts.flush();
  }
}
