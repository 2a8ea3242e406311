import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolutionPort } from '../../connectors/resolution/port.js';
import type { IdentityKey } from '../../connectors/singleview/port.js';

/**
 * The world every adapter is set up with: three customers; cus_b was merged
 * into cus_c, which was merged into cus_d (a chain); identifiers held by cus_a
 * and by cus_b (so resolving it follows the chain to cus_d).
 */
export const RESOLUTION_WORLD = {
  customers: ['cus_a', 'cus_b', 'cus_c', 'cus_d'],
  mergedInto: [
    ['cus_b', 'cus_c'],
    ['cus_c', 'cus_d'],
  ] as Array<[string, string]>,
  identities: [
    [{ type: 'EMAIL', value: 'a@example.com' }, 'cus_a'],
    [{ type: 'ANONYMOUS_ID', value: 'anon-b' }, 'cus_b'],
    [{ type: 'PHONE', value: '+14155550100' }, 'cus_d'],
  ] as Array<[IdentityKey, string]>,
};

export type ResolutionFactory = (world: typeof RESOLUTION_WORLD) => Promise<{ port: ResolutionPort; cleanup(): Promise<void> }>;

/** The resolution port's contract; every adapter runs it. */
export function defineResolutionContract(adapter: string, factory: ResolutionFactory): void {
  describe(`resolution port contract: ${adapter}`, () => {
    let port: ResolutionPort;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ port, cleanup } = await factory(RESOLUTION_WORLD));
    });
    afterAll(() => cleanup?.());

    it('resolves identifiers to canonical ids in order, following merges, null when unknown', async () => {
      const results = await port.resolve([
        { type: 'ANONYMOUS_ID', value: 'anon-b' },
        { type: 'EMAIL', value: 'nobody@example.com' },
        { type: 'EMAIL', value: 'a@example.com' },
        { type: 'PHONE', value: '+14155550100' },
        { type: 'EMAIL', value: 'a@example.com' },
      ]);
      expect(results).toEqual(['cus_d', null, 'cus_a', 'cus_d', 'cus_a']);
    });

    it('maps customer ids to their survivors in order, null for unknown ids', async () => {
      expect(await port.canonicalIds(['cus_b', 'cus_a', 'cus_missing', 'cus_c', 'cus_d'])).toEqual(['cus_d', 'cus_a', null, 'cus_d', 'cus_d']);
    });

    it('answers empty batches with empty lists', async () => {
      expect(await port.resolve([])).toEqual([]);
      expect(await port.canonicalIds([])).toEqual([]);
    });

    it('reports health', async () => {
      await expect(port.health()).resolves.toBeUndefined();
    });
  });
}
