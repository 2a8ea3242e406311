import type { CallOptions } from '../resilience/callOptions.js';
import type { EraseOutcome } from '../shared/erasure.js';
import type { IdentityKey } from '../../src/domain/index.js';
import type { ResolutionPort } from './port.js';

/**
 * An external resolver first, then the gateway's own graph for what it does
 * not know. The write path (identify, track) keeps the single view's graph
 * whatever adapter answers reads, so without this a customer created by
 * `track` would not resolve until the external service learned of it.
 */
export class FallbackResolution implements ResolutionPort {
  constructor(
    private readonly primary: ResolutionPort,
    private readonly graph: ResolutionPort,
  ) {}

  async resolve(keys: readonly IdentityKey[], options?: CallOptions): Promise<Array<string | null | Error>> {
    return this.withFallback(keys, await this.primary.resolve(keys, options), (missing) => this.graph.resolve(missing, options));
  }

  async canonicalIds(ids: readonly string[], options?: CallOptions): Promise<Array<string | null | Error>> {
    return this.withFallback(ids, await this.primary.canonicalIds(ids, options), (missing) => this.graph.canonicalIds(missing, options));
  }

  async erase(customerIds: readonly string[], options?: CallOptions): Promise<EraseOutcome> {
    const outcomes = await Promise.all([this.primary.erase(customerIds, options), this.graph.erase(customerIds, options)]);
    return outcomes.includes('erased') ? 'erased' : 'not_found';
  }

  health(options?: CallOptions): Promise<void> {
    return this.primary.health(options);
  }

  async close(): Promise<void> {
    await this.primary.close();
    await this.graph.close();
  }

  private async withFallback<K>(
    keys: readonly K[],
    answers: ReadonlyArray<string | null | Error>,
    ask: (missing: K[]) => Promise<ReadonlyArray<string | null | Error>>,
  ): Promise<Array<string | null | Error>> {
    const missing = keys.flatMap((_, i) => (answers[i] === null ? [i] : []));
    if (missing.length === 0) return [...answers];
    const fallback = await ask(missing.map((i) => keys[i]!));
    const merged = [...answers];
    missing.forEach((index, j) => (merged[index] = fallback[j] ?? null));
    return merged;
  }
}
