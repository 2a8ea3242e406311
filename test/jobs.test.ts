import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { SourceError } from '../connectors/resilience/sourceError.js';
import type { DynamoSingleView } from '../connectors/singleview/dynamodb.js';
import type { EventRecord } from '../src/domain/index.js';
import { jobHandlers } from '../src/jobs/handlers.js';
import type { JobDataPort } from '../src/jobs/handlers.js';
import { JobWorker, newJob } from '../src/jobs/worker.js';
import { startSingleView } from './support/dynalite.js';

/**
 * The background worker (src/jobs/worker.ts) on dynalite: it records its
 * progress after every page, a new worker resumes a job whose worker
 * crashed from that progress, and throttling is waited out under a bounded
 * policy, never forever.
 */
let store: DynamoSingleView;
let close: () => Promise<void>;
beforeAll(async () => {
  ({ store, close } = await startSingleView());
});
afterAll(() => close?.());

const logger = pino({ level: 'silent' });
const clock = () => new Date('2026-12-01T10:00:00.000Z');
/** Events are deleted 200 to a page (the adapter's Query limit). */
const PAGE = 200;

function events(customerId: string, count: number): EventRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `evt_${customerId}_${String(i).padStart(5, '0')}`,
    customerId,
    type: 'Page Viewed',
    occurredAt: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
    receivedAt: '2026-11-30T00:00:00.000Z',
    source: 'test',
    via: 'ANONYMOUS_ID#a',
  }));
}

/** Counts the pages each worker asks for, and can stall (a crash: the process stops answering) after `stallAfter` of them. */
function recordingPort(stallAfter = Number.POSITIVE_INFINITY) {
  const counts = { deleteEvents: 0 };
  const port: JobDataPort = {
    deleteEvents: (id, options) => (++counts.deleteEvents > stallAfter ? new Promise(() => undefined) : store.deleteEvents(id, options)),
    deleteConsentHistory: (id, options) => store.deleteConsentHistory(id, options),
    deleteIdentityLog: (id, options) => store.deleteIdentityLog(id, options),
    moveEventsVia: (...args) => store.moveEventsVia(...args),
  };
  return { port, counts };
}

async function timelineSize(customerId: string): Promise<number> {
  let size = 0;
  let after: { occurredAt: string; id: string } | undefined;
  for (;;) {
    const page = await store.getEvents(customerId, { first: 500, after });
    size += page.events.length;
    if (!page.hasNextPage) return size;
    const last = page.events.at(-1)!;
    after = { occurredAt: last.occurredAt, id: last.id };
  }
}

describe('background jobs', () => {
  it('finishes an erasure after its worker crashed mid-job: a new worker resumes from the recorded progress', async () => {
    await store.putEvents(events('cus_crash', 5 * PAGE));
    await store.putEvents(events('cus_crash_a', 2 * PAGE));
    expect(await store.createJob(newJob('erase#cus_crash', { kind: 'erase-history', customerIds: ['cus_crash', 'cus_crash_a'], found: 2 }, clock().toISOString()))).toBe('written');

    // The first worker stalls on its fourth page, lease held, as a crashed process would.
    let now = 1_000_000;
    const crashed = recordingPort(3);
    const first = new JobWorker(store, jobHandlers(crashed.port), { logger, clock, now: () => now, leaseMs: 30_000 });
    void first.run((await store.getJob('erase#cus_crash'))!);
    await expect.poll(async () => (await store.getJob('erase#cus_crash'))?.progress.pages, { timeout: 10_000 }).toBe(3);
    const recorded = (await store.getJob('erase#cus_crash'))!;
    expect(recorded).toMatchObject({ status: 'OPEN', progress: { step: 0, items: 3 * PAGE, pages: 3 } });
    expect(await timelineSize('cus_crash')).toBe(2 * PAGE);

    // A new worker leaves the job alone while the lease runs, and takes it over once it has run out.
    const resumed = recordingPort();
    const second = new JobWorker(store, jobHandlers(resumed.port), { logger, clock, now: () => now, leaseMs: 30_000 });
    await second.runOpenJobs();
    expect(resumed.counts.deleteEvents).toBe(0);
    now += 30_001;
    await second.runOpenJobs();

    // It did only what was left: the first id's two remaining pages and the second id's two, each id's last query
    // finding the end (a full page cannot tell it was the last), so 3 + 3 calls, not the 5 already done again.
    expect(resumed.counts.deleteEvents).toBe(6);
    expect(await timelineSize('cus_crash')).toBe(0);
    expect(await timelineSize('cus_crash_a')).toBe(0);
    const done = (await store.getJob('erase#cus_crash'))!;
    expect(done).toMatchObject({ status: 'DONE', completedAt: '2026-12-01T10:00:00.000Z', owner: null, failures: 0, progress: { step: 6, items: 7 * PAGE } });
    // The crashed worker, were it to wake, finds its lease gone and records nothing over the new one's.
    expect(await first.run(done)).toMatchObject({ status: 'held' });
  });

  it('waits out throttling with backoff, and past the bounded retry stops the run and lets the job wait', async () => {
    await store.putEvents(events('cus_throttled', PAGE));
    await store.createJob(newJob('erase#cus_throttled', { kind: 'erase-history', customerIds: ['cus_throttled'], found: 1 }, clock().toISOString()));
    let throttled = 2;
    let calls = 0;
    const throttling = (): JobDataPort => ({
      ...recordingPort().port,
      deleteEvents: (id, options) => {
        calls += 1;
        return throttled-- > 0 ? Promise.reject(new SourceError('singleview', 'unavailable', 'ProvisionedThroughputExceededException')) : store.deleteEvents(id, options);
      },
    });
    const now = 5_000_000;
    const worker = new JobWorker(store, jobHandlers(throttling()), { logger, clock, now: () => now, pageAttempts: 3 });
    // Two throttled attempts, then the page lands, all within one run.
    const outcome = await worker.run((await store.getJob('erase#cus_throttled'))!);
    expect(outcome.status).toBe('done');
    expect(calls).toBeGreaterThanOrEqual(3);

    await store.putEvents(events('cus_always', PAGE));
    await store.createJob(newJob('erase#cus_always', { kind: 'erase-history', customerIds: ['cus_always'], found: 1 }, clock().toISOString()));
    throttled = Number.POSITIVE_INFINITY;
    calls = 0;
    const stopped = await worker.run((await store.getJob('erase#cus_always'))!);
    // Three attempts (the policy's bound), then the run stops: the job keeps its progress, is free, and waits before the next try.
    expect(calls).toBe(3);
    expect(stopped.status).toBe('failed');
    const waiting = (await store.getJob('erase#cus_always'))!;
    expect(waiting).toMatchObject({ status: 'OPEN', owner: null, leaseUntil: null, failures: 1, notBefore: now + 5_000, progress: { pages: 0 } });
    expect(waiting.lastError).toBe('singleview source is unavailable: ProvisionedThroughputExceededException');
    await worker.runOpenJobs();
    expect(calls).toBe(3);
  });
});
