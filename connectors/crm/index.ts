import { EmbeddedCrm } from './embedded.js';
import { MongoCrm } from './mongodb.js';
import type { CrmContactRecord, CrmPort } from './port.js';

export type CrmSettings =
  | { readonly adapter: 'mongodb'; readonly url: string; readonly database: string }
  | { readonly adapter: 'embedded'; readonly file: string | undefined; readonly seed: () => readonly CrmContactRecord[] };

export async function createCrm(settings: CrmSettings): Promise<CrmPort> {
  switch (settings.adapter) {
    case 'mongodb':
      return MongoCrm.connect({ url: settings.url, database: settings.database });
    case 'embedded':
      return EmbeddedCrm.open(settings.file, settings.seed());
  }
}
