import type { CallOptions } from '../resilience/callOptions.js';
import { isInProcessAdapter } from '../resilience/sourceGuard.js';
import type { EraseOutcome } from '../shared/erasure.js';
import type { IdentityKey } from '../../src/domain/index.js';
import type { SingleViewPort } from '../singleview/port.js';
import type { ResolutionPort } from './port.js';

/** Merges can chain (A into B, later B into C); a longer chain means a cycle. */
const MAX_MERGE_HOPS = 8;

/**
 * The embedded identity-resolution engine, reading the single view's identity
 * index and merge links. Deterministic: an identifier belongs to the customer
 * the index names, and a merged customer stands for its survivor once the
 * merge is committed (a `pending` merge may still be undone; until it
 * commits the absorbed customer answers for itself).
 */
export class EmbeddedResolution implements ResolutionPort {
  constructor(private readonly singleView: SingleViewPort) {}

  /** In process when the single view it reads is (the memory one); over embedded dynalite it waits on HTTP. */
  get inProcess(): boolean {
    return isInProcessAdapter(this.singleView);
  }

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
        else if (link.mergedInto && link.mergeState !== 'pending') next.set(id, link.mergedInto);
        else result.set(id, target);
      }
      frontier = next;
    }
    return ids.map((id) => result.get(id) ?? null);
  }

  /** Removes the index entries of every identifier these customers hold, if they still point at one of them. */
  async erase(customerIds: readonly string[], options?: CallOptions): Promise<EraseOutcome> {
    const records = await this.singleView.getCustomers(customerIds, { ...options, consistent: true });
    const keys = new Map<string, IdentityKey>();
    for (const record of records) {
      if (record instanceof Error) throw record;
      for (const identity of record?.identities ?? []) keys.set(`${identity.type}#${identity.value}`, { type: identity.type, value: identity.value });
    }
    const outcomes = await Promise.all([...keys.values()].map((key) => this.singleView.releaseIdentity(key, customerIds, options)));
    return outcomes.includes('written') ? 'erased' : 'not_found';
  }

  async health(options?: CallOptions): Promise<void> {
    await this.singleView.health(options);
  }

  async close(): Promise<void> {}
}
