import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import type { JobPort } from '../../connectors/singleview/port.js';
import type { JobRecord, JobSpec } from '../domain/index.js';
import type { Clock } from '../identity/clock.js';
import type { Logger } from 'pino';
import { jobHandlers } from './handlers.js';
import type { JobDataPort } from './handlers.js';
import type { RunOutcome } from './worker.js';
import { JobWorker, newJob } from './worker.js';

/**
 * How the request path hands work to the background: `start` creates the
 * job (once per id: a repeat finds the one stored), runs at most `pages`
 * pages of it at once in the caller's request (a small customer is done
 * before the answer; a large one costs the request the same few calls), and
 * wakes the worker for the rest. `inlinePages` unbounded is for tools that
 * run without a worker (they do the whole job before they return).
 */
export class BackgroundJobs {
  constructor(
    private readonly port: JobPort,
    readonly worker: JobWorker,
    private readonly clock: Clock,
    private readonly inlinePages?: number,
  ) {}

  async start(id: string, spec: JobSpec, pages: number, call: CallOptions = {}): Promise<RunOutcome> {
    const budget = this.inlinePages ?? pages;
    const created = this.worker.leased(newJob(id, spec, this.clock().toISOString()));
    const outcome =
      (await this.port.createJob(created, call)) === 'written'
        ? await this.worker.runLeased(created, budget, call)
        : await this.resume(id, budget, call);
    if (outcome.status !== 'done') this.worker.wake();
    return outcome;
  }

  /** The job as stored (for receipts); null when there is none. */
  get(id: string, call: CallOptions = {}): Promise<JobRecord | null> {
    return this.port.getJob(id, call);
  }

  private async resume(id: string, pages: number, call: CallOptions): Promise<RunOutcome> {
    const stored = await this.port.getJob(id, call);
    if (!stored || stored.status === 'DONE') return { status: 'done', job: stored };
    return this.worker.run(stored, pages, call);
  }
}

/**
 * The gateway's background jobs (src/server.ts gives the write path its
 * own); a tool that builds the write path without them gets jobs that run
 * whole in the call that starts them, as it has no worker to finish them.
 */
export function backgroundJobs(services: {
  readonly jobs?: BackgroundJobs | undefined;
  readonly singleView: JobPort & JobDataPort;
  readonly clock: Clock;
  readonly logger: Logger;
}): BackgroundJobs {
  if (services.jobs) return services.jobs;
  const worker = new JobWorker(services.singleView, jobHandlers(services.singleView), { logger: services.logger, clock: services.clock });
  return new BackgroundJobs(services.singleView, worker, services.clock, Number.POSITIVE_INFINITY);
}
