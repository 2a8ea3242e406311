import type { CallOptions } from '../resilience/callOptions.js';
import { SourceError, malformedPayload } from '../resilience/sourceError.js';
import type { EraseOutcome } from '../shared/erasure.js';
import { HttpSource } from '../shared/httpSource.js';
import type { HttpSourceCredentials } from '../shared/httpSource.js';
import type { IdentityKey } from '../../src/domain/index.js';
import type { ResolutionPort } from './port.js';
import { resolutionResponseSchema } from './schemas.js';

export interface HttpResolutionOptions extends HttpSourceCredentials {
  readonly url: string;
  readonly connections?: number;
}

const SOURCE = 'resolution';

/**
 * An identity-resolution service over HTTP/JSON (docs/resolution-api.md):
 * `POST /v1/resolve {identifiers}` and `POST /v1/canonical {ids}`, each
 * answering `{results: [{customerId}]}` in request order, and `DELETE
 * /v1/customers/{id}` to erase a customer's links (204, or 404 when it has none).
 * Status handling and headers: connectors/shared/httpSource.ts.
 */
export class HttpResolution implements ResolutionPort {
  private readonly http: HttpSource;

  constructor(options: HttpResolutionOptions) {
    this.http = new HttpSource(SOURCE, options);
  }

  resolve(keys: readonly IdentityKey[], options?: CallOptions): Promise<Array<string | null>> {
    return this.post('/v1/resolve', { identifiers: keys.map(({ type, value }) => ({ type, value })) }, keys.length, options);
  }

  canonicalIds(ids: readonly string[], options?: CallOptions): Promise<Array<string | null>> {
    return this.post('/v1/canonical', { ids }, ids.length, options);
  }

  erase(customerIds: readonly string[], options?: CallOptions): Promise<EraseOutcome> {
    return this.http.erase(
      customerIds.map((id) => `/v1/customers/${encodeURIComponent(id)}`),
      options,
    );
  }

  private async post(path: string, payload: unknown, expected: number, options?: CallOptions): Promise<Array<string | null>> {
    if (expected === 0) return [];
    const body = await this.http.json('POST', path, options, payload);
    const parsed = resolutionResponseSchema.safeParse(body);
    if (!parsed.success) throw malformedPayload(SOURCE, parsed.error.issues);
    if (parsed.data.results.length !== expected) {
      throw new SourceError(SOURCE, 'malformed_payload', `expected ${expected} results, got ${parsed.data.results.length}`);
    }
    return parsed.data.results.map((result) => result.customerId);
  }

  health(options?: CallOptions): Promise<void> {
    return this.http.health(options);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
