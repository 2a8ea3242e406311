import type { HttpSourceCredentials } from '../shared/httpSource.js';
import type { SingleViewPort } from '../singleview/port.js';
import { AwsEntityResolution } from './awsEntityResolution.js';
import type { AwsEntityResolutionOptions } from './awsEntityResolution.js';
import { EmbeddedResolution } from './embedded.js';
import { FallbackResolution } from './fallback.js';
import { HttpResolution } from './http.js';
import type { ResolutionPort } from './port.js';

export type ResolutionSettings =
  | ({ readonly adapter: 'http'; readonly url: string; readonly singleView: SingleViewPort } & HttpSourceCredentials)
  | { readonly adapter: 'embedded'; readonly singleView: SingleViewPort }
  | ({ readonly adapter: 'aws-entity-resolution' } & AwsEntityResolutionOptions);

export function createResolution(settings: ResolutionSettings): ResolutionPort {
  switch (settings.adapter) {
    case 'http':
      return new FallbackResolution(new HttpResolution({ url: settings.url, headers: settings.headers, tls: settings.tls }), new EmbeddedResolution(settings.singleView));
    case 'embedded':
      return new EmbeddedResolution(settings.singleView);
    case 'aws-entity-resolution':
      return new AwsEntityResolution(settings);
  }
}
