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
 * Every call carries the configured headers and the trace context.
 */
export class HttpResolution implements ResolutionPort {
  private readonly http: HttpSource;

  constructor(options: HttpResolutionOptions) {
    this.http = new HttpSource(options);
  }

  resolve(keys: readonly IdentityKey[], options?: CallOptions): Promise<Array<string | null>> {
    return this.post('/v1/resolve', { identifiers: keys.map(({ type, value }) => ({ type, value })) }, keys.length, options);
  }

  canonicalIds(ids: readonly string[], options?: CallOptions): Promise<Array<string | null>> {
    return this.post('/v1/canonical', { ids }, ids.length, options);
  }

  async erase(customerIds: readonly string[], options?: CallOptions): Promise<EraseOutcome> {
    const outcomes = await Promise.all([...new Set(customerIds)].map((id) => this.eraseOne(id, options)));
    return outcomes.includes('erased') ? 'erased' : 'not_found';
  }

  private async eraseOne(customerId: string, options?: CallOptions): Promise<EraseOutcome> {
    const response = await this.http.pool.request({
      method: 'DELETE',
      path: this.http.path(`/v1/customers/${encodeURIComponent(customerId)}`),
      headers: this.http.headers({}, options),
      signal: options?.signal,
    });
    await response.body.dump();
    if (response.statusCode === 204 || response.statusCode === 200) return 'erased';
    if (response.statusCode === 404) return 'not_found';
    throw new SourceError(SOURCE, response.statusCode >= 500 ? 'unavailable' : 'rejected', `erase HTTP ${response.statusCode}`);
  }

  private async post(path: string, payload: unknown, expected: number, options?: CallOptions): Promise<Array<string | null>> {
    if (expected === 0) return [];
    const response = await this.http.pool.request({
      method: 'POST',
      path: this.http.path(path),
      headers: this.http.headers({ 'content-type': 'application/json', accept: 'application/json' }, options),
      body: JSON.stringify(payload),
      signal: options?.signal,
    });
    const text = await response.body.text();
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw new SourceError(SOURCE, response.statusCode >= 500 ? 'unavailable' : 'rejected', `HTTP ${response.statusCode}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new SourceError(SOURCE, 'malformed_payload', 'body is not JSON');
    }
    const parsed = resolutionResponseSchema.safeParse(body);
    if (!parsed.success) throw malformedPayload(SOURCE, parsed.error.issues);
    if (parsed.data.results.length !== expected) {
      throw new SourceError(SOURCE, 'malformed_payload', `expected ${expected} results, got ${parsed.data.results.length}`);
    }
    return parsed.data.results.map((result) => result.customerId);
  }

  async health(options?: CallOptions): Promise<void> {
    const response = await this.http.pool.request({
      method: 'GET',
      path: this.http.path('/health'),
      headers: this.http.headers({}, options),
      signal: options?.signal,
    });
    await response.body.dump();
    if (response.statusCode !== 200) throw new SourceError(SOURCE, 'unavailable', `health HTTP ${response.statusCode}`);
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}
