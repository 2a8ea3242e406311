import type { Span } from '@opentelemetry/api';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import type { Clock } from '../identity/clock.js';
import { WriteStore } from '../identity/store.js';
import type { SegmentCatalog } from './catalog.js';
import { evaluateMemberships, sameMemberships } from './evaluate.js';

export interface BatchEvaluation {
  readonly scanned: number;
  /** Customers whose memberships changed and were written. */
  readonly updated: number;
  /** Customers absorbed by a merge: their survivor carries the memberships. */
  readonly skippedMerged: number;
}

export interface BatchDependencies {
  /** The guarded port (src/sources.ts). */
  readonly singleView: SingleViewPort;
  readonly segments: SegmentCatalog;
  readonly clock: Clock;
  readonly pageSize?: number;
  readonly span?: Span;
}

/**
 * Re-evaluates every segment (real-time and batch-only) for every customer
 * in the single view: `npm run segments:evaluate`. A customer is written
 * only when its memberships change, under its version, so the run is safe
 * beside live writes (a conflict re-reads and re-evaluates that customer).
 */
export async function evaluateAllSegments(deps: BatchDependencies): Promise<BatchEvaluation> {
  const store = new WriteStore(deps.singleView, deps.span);
  const specs = deps.segments.all();
  let scanned = 0;
  let updated = 0;
  let skippedMerged = 0;
  let after: string | undefined;
  do {
    const page = await deps.singleView.scanCustomers(deps.pageSize ?? 100, after, store.call);
    for (const customer of page.customers) {
      scanned += 1;
      if (customer.mergedInto) {
        skippedMerged += 1;
        continue;
      }
      const outcome = await store.update(
        customer.id,
        (current) => {
          const now = deps.clock();
          const facts = { traits: current.traits, consents: current.consents, lastEventAt: current.lastEventAt ?? {} };
          const segments = evaluateMemberships(specs, facts, current.segments, now);
          return sameMemberships(segments, current.segments) ? null : { record: { ...current, segments }, result: null };
        },
        customer,
      );
      if (outcome.status === 'written') updated += 1;
    }
    after = page.next;
  } while (after);
  return { scanned, updated, skippedMerged };
}
