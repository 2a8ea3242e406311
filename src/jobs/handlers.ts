import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import type { ConsentHistoryPort, EventPort, IdentityLogPort, PageDeletion } from '../../connectors/singleview/port.js';
import type { JobRecord, JobSpec } from '../domain/index.js';
import type { JobHandler, JobHandlers, JobStep } from './worker.js';

/** What the job handlers touch in the single view. */
export type JobDataPort = Pick<EventPort, 'deleteEvents' | 'moveEventsVia'> & Pick<ConsentHistoryPort, 'deleteConsentHistory'> & Pick<IdentityLogPort, 'deleteIdentityLog'>;

type EraseSpec = Extract<JobSpec, { kind: 'erase-history' }>;
type SplitSpec = Extract<JobSpec, { kind: 'split-events' }>;

/** Per customer id of an erasure, in this order: its timeline, its consent history, its identity log. */
const ERASED_PARTS = ['events', 'consentHistory', 'identityLog'] as const;

/**
 * erase-history: one page of deletes per step, from the first customer id's
 * timeline to the last id's identity log. Deleted items are gone, so a step
 * needs no position inside it: a repeated page finds the next items.
 */
export function eraseHistory(port: JobDataPort): JobHandler {
  const deleters: Record<(typeof ERASED_PARTS)[number], (id: string, call: CallOptions) => Promise<PageDeletion>> = {
    events: (id, call) => port.deleteEvents(id, call),
    consentHistory: (id, call) => port.deleteConsentHistory(id, call),
    identityLog: (id, call) => port.deleteIdentityLog(id, call),
  };
  return {
    async step(job: JobRecord, call: CallOptions): Promise<JobStep> {
      const spec = job.spec as EraseSpec;
      const { progress } = job;
      const total = spec.customerIds.length * ERASED_PARTS.length;
      if (progress.step >= total) return { progress, done: true };
      const id = spec.customerIds[Math.floor(progress.step / ERASED_PARTS.length)]!;
      const part = ERASED_PARTS[progress.step % ERASED_PARTS.length]!;
      const page = await deleters[part](id, call);
      const step = page.more ? progress.step : progress.step + 1;
      return { progress: { step, after: null, items: progress.items + page.deleted, pages: progress.pages + 1 }, done: step >= total };
    },
  };
}

/**
 * split-events: the events that arrived through identifiers an unmerge
 * split off (or with absorbed customers it split off) move from each
 * partition that stayed to the new customer, a page at a time from the
 * recorded position.
 */
export function splitEvents(port: JobDataPort): JobHandler {
  return {
    async step(job: JobRecord, call: CallOptions): Promise<JobStep> {
      const spec = job.spec as SplitSpec;
      const { progress } = job;
      const from = spec.partitions[progress.step];
      if (from === undefined) return { progress, done: true };
      const page = await port.moveEventsVia(from, spec.into, spec.vias, progress.after ?? undefined, call);
      const step = page.next === undefined ? progress.step + 1 : progress.step;
      return {
        progress: { step, after: page.next ?? null, items: progress.items + page.moved, pages: progress.pages + 1 },
        done: step >= spec.partitions.length,
      };
    },
  };
}

/** The handlers of every kind of job; `finished` hooks come from the features that create the jobs. */
export function jobHandlers(port: JobDataPort, finished: Partial<Record<keyof JobHandlers, JobHandler['finished']>> = {}): JobHandlers {
  const erase = eraseHistory(port);
  const split = splitEvents(port);
  return {
    'erase-history': finished['erase-history'] ? { ...erase, finished: finished['erase-history'] } : erase,
    'split-events': finished['split-events'] ? { ...split, finished: finished['split-events'] } : split,
  };
}
