import { expect, it } from 'vitest';
import type { JobPort } from '../../../connectors/singleview/port.js';
import type { JobRecord } from '../../../src/domain/index.js';
import { newJob } from '../../../src/jobs/worker.js';
import { roleContract } from './harness.js';

const AT = '2026-12-01T10:00:00.000Z';
const erase = (id: string): JobRecord => newJob(id, { kind: 'erase-history', customerIds: [`cus_${id}`, `cus_${id}_a`], found: 2 }, AT);

/**
 * The background job port's contract (connectors/singleview/port.ts,
 * JobPort), run against every single view adapter: a job is created once,
 * replaced only over the version it was read at, and listed while open.
 */

export const jobContract = roleContract<JobPort>({
  role: 'JobPort',
  methods: { createJob: true, getJob: true, replaceJob: true, listOpenJobs: true },
  tests: ({ store }) => {

    it('creates a job once: a second create of the same id is a conflict and changes nothing', async () => {
      const job = erase('once');
      expect(await store.createJob(job)).toBe('written');
      expect(await store.createJob({ ...job, progress: { step: 3, after: null, items: 9, pages: 2 } })).toBe('conflict');
      expect(await store.getJob('once')).toEqual(job);
      expect(await store.getJob('never-created')).toBeNull();
    });

    it('replaces a job only over the version it was read at, with every field kept', async () => {
      const job = newJob('split', { kind: 'split-events', into: 'cus_new', partitions: ['cus_s', 'cus_x'], vias: ['EMAIL#a@example.com', '@cus_x'] }, AT);
      await store.createJob(job);
      const leased: JobRecord = { ...job, owner: 'worker-1', leaseUntil: 1_800_000_000_000, progress: { step: 1, after: '2026-11-01T00:00:00.000Z#evt_9', items: 200, pages: 1 }, version: 2 };
      expect(await store.replaceJob(leased, 1)).toBe('written');
      expect(await store.replaceJob({ ...leased, owner: 'worker-2', version: 2 }, 1)).toBe('conflict');
      expect(await store.getJob('split')).toEqual(leased);
      const failed: JobRecord = { ...leased, owner: null, leaseUntil: null, failures: 2, notBefore: 1_800_000_010_000, lastError: 'singleview source timed out: deleteEvents', version: 3 };
      expect(await store.replaceJob(failed, 2)).toBe('written');
      expect(await store.getJob('split')).toEqual(failed);
    });

    it('lists the open jobs, page by page, and not the finished ones', async () => {
      for (const id of ['open-1', 'open-2', 'open-3', 'done-1']) await store.createJob(erase(id));
      const done = (await store.getJob('done-1'))!;
      expect(await store.replaceJob({ ...done, status: 'DONE', completedAt: AT, version: 2 }, 1)).toBe('written');
      const seen: string[] = [];
      let after: string | undefined;
      let pages = 0;
      do {
        const page = await store.listOpenJobs(2, after);
        expect(page.jobs.length).toBeLessThanOrEqual(2);
        seen.push(...page.jobs.map((job) => job.id));
        after = page.next;
        pages += 1;
      } while (after !== undefined && pages < 20);
      expect(seen.sort()).toEqual(['once', 'open-1', 'open-2', 'open-3', 'split']);
      expect(pages).toBeGreaterThan(1);
    });
  },
});
