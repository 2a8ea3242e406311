import { EmbeddedCrm } from './embedded.js';
import type { CrmMapping } from './mapping.js';
import type { CrmContactRecord, CrmPort } from './port.js';

export type CrmSettings =
  | { readonly adapter: 'mongodb'; readonly url: string; readonly database: string; readonly mapping: CrmMapping }
  | { readonly adapter: 'embedded'; readonly file: string | undefined; readonly seed: () => readonly CrmContactRecord[] };

export async function createCrm(settings: CrmSettings): Promise<CrmPort> {
  switch (settings.adapter) {
    case 'mongodb': {
      // Loaded only when configured: the driver is a fifth of the gateway's start-up imports.
      const { MongoCrm } = await import('./mongodb.js');
      return MongoCrm.open({ url: settings.url, database: settings.database, mapping: settings.mapping });
    }
    case 'embedded':
      return EmbeddedCrm.open(settings.file, settings.seed());
  }
}
