import type { CallOptions } from '../resilience/callOptions.js';
import type { IdentityKey, SingleViewPort } from '../singleview/port.js';
import type { ResolutionPort } from './port.js';

/** Merges can chain (A into B, later B into C); a longer chain means a cycle. */
const MAX_MERGE_HOPS = 8;

/**
 * The embedded identity-resolution engine, reading the single view's identity
 * index and merge links. Deterministic: an identifier belongs to the customer
 * the index names, and a merged customer stands for its survivor.
 */
export class EmbeddedResolution implements ResolutionPort {
  constructor(private readonly singleView: SingleViewPort) {}

  async resolve(keys: readonly IdentityKey[], options?: CallOptions): Promise<Array<string | null | Error>> {
    const holders = await this.singleView.customerIdsByIdentity(keys, options);
    const ids = holders.filter((holder): holder is string => typeof holder === 'string');
    const canonical = new Map<string, string | null | Error>();
    const resolved = await this.canonicalIds(ids, options);
    ids.forEach((id, i) => canonical.set(id, resolved[i] ?? null));
    return holders.map((holder) => (typeof holder === 'string' ? (canonical.get(holder) ?? null) : holder));
  }

  async canonicalIds(ids: readonly string[], options?: CallOptions): Promise<Array<string | null | Error>> {
    const result = new Map<string, string | null | Error>();
    // Each asked id and the customer it currently points at, until the chain ends.
    let frontier = new Map<string, string>(ids.map((id) => [id, id]));
    for (let hop = 0; frontier.size > 0; hop++) {
      if (hop === MAX_MERGE_HOPS) {
        for (const id of frontier.keys()) result.set(id, new Error(`merge chain longer than ${MAX_MERGE_HOPS} hops`));
        break;
      }
      const targets = [...new Set(frontier.values())];
      const links = await this.singleView.getMergeLinks(targets, options);
      const linkOf = new Map(targets.map((target, i) => [target, links[i] ?? null]));
      const next = new Map<string, string>();
      for (const [id, target] of frontier) {
        const link = linkOf.get(target) ?? null;
        if (link === null || link instanceof Error) result.set(id, link);
        else if (link.mergedInto) next.set(id, link.mergedInto);
        else result.set(id, target);
      }
      frontier = next;
    }
    return ids.map((id) => result.get(id) ?? null);
  }

  async health(options?: CallOptions): Promise<void> {
    await this.singleView.health(options);
  }

  async close(): Promise<void> {}
}
