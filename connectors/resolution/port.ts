/**
 * Identity resolution: which canonical customer an identifier belongs to, and
 * which customer an id now stands for after merges. Adapters: the embedded
 * engine over the single view (embedded.ts), an HTTP resolution service
 * (http.ts, contract in docs/resolution-api.md, with the graph as fallback:
 * fallback.ts) and AWS Entity Resolution GetMatchId (awsEntityResolution.ts).
 * Writes (links, merges) are not part of this port: the write path keeps the
 * single view's graph (src/identity/, docs/identity-resolution.md).
 *
 * Batch contract (DataLoader's): N keys in, N results out in the same order,
 * `null` for an identifier no customer holds (or an id no customer has), an
 * `Error` for a key that failed on its own. A failure of the whole call
 * rejects. Identifiers arrive normalized (normalize.ts).
 */
import type { CallOptions } from '../resilience/callOptions.js';
import type { GuardPlan } from '../resilience/guardedPort.js';
import type { EraseOutcome } from '../shared/erasure.js';
import type { IdentityKey } from '../../src/domain/index.js';

export interface ResolutionPort {
  /** Canonical customer id for each identifier. */
  resolve(keys: readonly IdentityKey[], options?: CallOptions): Promise<ReadonlyArray<string | null | Error>>;
  /** Canonical id for each customer id: itself, or the survivor of the merges that absorbed it. */
  canonicalIds(ids: readonly string[], options?: CallOptions): Promise<ReadonlyArray<string | null | Error>>;
  /**
   * Removes every link from an identifier to these customers (a canonical id
   * and the ids it absorbed), so that none of their identifiers resolves.
   */
  erase(customerIds: readonly string[], options?: CallOptions): Promise<EraseOutcome>;
  health(options?: CallOptions): Promise<void>;
  close(): Promise<void>;
}

/** How each method runs under the resolution source's guard (connectors/resilience/guardedPort.ts); erasing is idempotent, so it is retried like a read. */
export const RESOLUTION_CALLS: GuardPlan<ResolutionPort> = {
  resolve: { kind: 'read', options: 1, batch: 0 },
  canonicalIds: { kind: 'read', options: 1, batch: 0 },
  erase: { kind: 'idempotent', options: 1, batch: 0 },
  health: 'unguarded',
  close: 'unguarded',
};
