import { EmbeddedRecords } from '../shared/embeddedRecords.js';
import type { CrmContactRecord, CrmPort } from './port.js';
import { crmContactSchema } from './schemas.js';

/** The embedded CRM: contacts by CRM id (connectors/shared/embeddedRecords.ts). */
export const EmbeddedCrm = {
  open: (file: string | undefined, seed: readonly CrmContactRecord[]): Promise<CrmPort> =>
    EmbeddedRecords.open('crm', crmContactSchema, (contact) => String(contact.crmId), file, seed),
};
