import type { SingleViewPort } from '../singleview/port.js';
import { EmbeddedResolution } from './embedded.js';
import { HttpResolution } from './http.js';
import type { ResolutionPort } from './port.js';

export type ResolutionSettings =
  | { readonly adapter: 'http'; readonly url: string }
  | { readonly adapter: 'embedded'; readonly singleView: SingleViewPort };

export function createResolution(settings: ResolutionSettings): ResolutionPort {
  switch (settings.adapter) {
    case 'http':
      return new HttpResolution({ url: settings.url });
    case 'embedded':
      return new EmbeddedResolution(settings.singleView);
  }
}
