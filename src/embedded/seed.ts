import type { BulkLoad, BulkLoadPort, SegmentIndexPort } from '../../connectors/singleview/port.js';
import type { SegmentSpec } from '../segments/definitions.js';
import { loadIndexed } from '../segments/indexedLoad.js';
import type { DemoData } from './demoData.js';

/** Bump when the demo data set changes shape, so old data dirs are not mistaken for current ones. */
export const DEMO_DATA_VERSION = 2;

export interface SeedOutcome {
  readonly seeded: boolean;
  readonly customers: number;
  /** The data dir holds an older demo data set (it is kept: it may hold writes). */
  readonly staleVersion?: number;
}

/**
 * Loads the demo data into an empty single view once, through its bulk load
 * port, with its segment index built for `segments` at `now` (so the segment
 * worker has no backfill to run over it). The marker written last records
 * that the load finished, so a start that was interrupted half-way loads
 * again (every write is an idempotent put).
 */
export async function seedSingleView(store: BulkLoadPort & SegmentIndexPort, data: DemoData, index: { readonly segments: readonly SegmentSpec[]; readonly now: Date }): Promise<SeedOutcome> {
  const marker = await store.getLoadMarker();
  if (marker) {
    return { seeded: false, customers: marker.customers, ...(marker.version !== DEMO_DATA_VERSION ? { staleVersion: marker.version } : {}) };
  }
  await loadIndexed(store, demoLoad(data), index.segments, index.now);
  await store.putLoadMarker({ version: DEMO_DATA_VERSION, customers: data.customers.length, at: index.now.toISOString() });
  return { seeded: true, customers: data.customers.length };
}

/** The demo data as a bulk load: customers at version 1, their events and consent history. */
export function demoLoad(data: DemoData): BulkLoad {
  return {
    customers: data.customers.map((customer) => ({ ...customer, version: 1 })),
    events: data.events,
    consentHistory: data.consentHistory,
  };
}
