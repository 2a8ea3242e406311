import { EmbeddedLoyalty } from './embedded.js';
import { HttpLoyalty } from './http.js';
import type { HttpSourceCredentials } from '../shared/httpSource.js';
import type { LoyaltyAccountRecord, LoyaltyPort } from './port.js';

export type LoyaltySettings =
  | ({ readonly adapter: 'http'; readonly url: string } & HttpSourceCredentials)
  | { readonly adapter: 'embedded'; readonly file: string | undefined; readonly seed: () => readonly LoyaltyAccountRecord[] };

export async function createLoyalty(settings: LoyaltySettings): Promise<LoyaltyPort> {
  switch (settings.adapter) {
    case 'http':
      return new HttpLoyalty({ url: settings.url, headers: settings.headers, tls: settings.tls });
    case 'embedded':
      return EmbeddedLoyalty.open(settings.file, settings.seed());
  }
}
