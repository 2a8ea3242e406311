import { randomUUID } from 'node:crypto';
import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import type { Logger } from 'pino';
import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import { SourceError } from '../../connectors/resilience/sourceError.js';
import type { JobPort } from '../../connectors/singleview/port.js';
import type { JobKind, JobProgress, JobRecord, JobSpec } from '../domain/index.js';
import type { Clock } from '../identity/clock.js';

/** One page of a job's work: the progress after it, and whether the job is done. */
export interface JobStep {
  readonly progress: JobProgress;
  readonly done: boolean;
}

/**
 * What a kind of job does. `step` does one page from the recorded progress
 * (a page is bounded, so it fits one source deadline) and must be safe to
 * repeat: a worker that stops after a page but before recording it does the
 * page again. `finished` runs once the last page is recorded (again after a
 * crash in between, so it is idempotent too).
 */
export interface JobHandler {
  step(job: JobRecord, call: CallOptions): Promise<JobStep>;
  finished?(job: JobRecord, call: CallOptions): Promise<void>;
}

export type JobHandlers = { readonly [K in JobKind]: JobHandler };

export interface JobWorkerOptions {
  readonly logger: Logger;
  /** Recorded times (createdAt, updatedAt, completedAt). */
  readonly clock: Clock;
  /** Lease times, epoch ms: wall time, whatever `clock` says (tests stop the clock, leases must still run out). */
  readonly now?: () => number;
  /** How long a worker holds a job without recording progress before another may take it over. */
  readonly leaseMs?: number;
  /** How often a running worker looks for open jobs (jobs it was not told about: another instance's, or one whose worker crashed). */
  readonly pollMs?: number;
  /** Attempts of one page when the store throttles or fails, before the run stops and the job waits (JOB_RETRY). */
  readonly pageAttempts?: number;
}

const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_POLL_MS = 5_000;
/** Attempts of one page through a throttling store: 100 ms doubling to 5 s, about 15 s at most, then the run stops. */
const DEFAULT_PAGE_ATTEMPTS = 6;
/** After a run stopped on failures, the job waits this long times 2^(failures-1), at most MAX_JOB_WAIT_MS. */
const JOB_WAIT_MS = 5_000;
const MAX_JOB_WAIT_MS = 5 * 60_000;
/** Open jobs looked at per scan page. */
const LIST_PAGE = 100;

/** Failures worth waiting out: throttling, timeouts, an open circuit, a full queue. A malformed item or a bug is not. */
export function isTransient(error: unknown): boolean {
  if (error instanceof SourceError) return error.failure !== 'malformed_payload' && error.failure !== 'rejected';
  const name = (error as Error | undefined)?.name ?? '';
  return /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|TimeoutError|ServiceUnavailable|InternalServerError/.test(name);
}

export function newJob(id: string, spec: JobSpec, at: string): JobRecord {
  return { id, spec, status: 'OPEN', progress: { step: 0, after: null, items: 0, pages: 0 }, createdAt: at, updatedAt: at, failures: 0, version: 1 };
}

export type RunOutcome = { readonly status: 'done' | 'paused' | 'held' | 'failed'; readonly job: JobRecord | null };

/**
 * The background worker: takes open jobs (a lease on the job item, one
 * conditional write), runs them a page at a time, records the progress after
 * each page (so a worker that crashes loses at most one page, which the
 * next does again), and marks them DONE. A page that fails on throttling is
 * retried under a bounded cockatiel policy (exponential backoff); past it,
 * the run stops and the job waits, longer after each failed run. Jobs are
 * found at start and every `pollMs` (a job whose worker died is taken over
 * once its lease runs out), and at once when the gateway creates one
 * (`wake`).
 */
export class JobWorker {
  private readonly owner = `worker-${randomUUID()}`;
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly pagePolicy;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopping = false;
  private started = false;

  constructor(
    private readonly port: JobPort,
    private readonly handlers: JobHandlers,
    private readonly options: JobWorkerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
    this.pagePolicy = retry(handleWhen(isTransient), {
      maxAttempts: (options.pageAttempts ?? DEFAULT_PAGE_ATTEMPTS) - 1,
      backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 5_000 }),
    });
  }

  /** Resumes the open jobs now, then looks again every `pollMs`. */
  start(): void {
    if (this.started) return;
    this.stopping = false;
    this.started = true;
    this.wake();
    this.timer = setInterval(() => this.wake(), this.pollMs);
    this.timer.unref();
  }

  /** Looks for open jobs now (or right after the pass under way); nothing when this worker was not started (another process runs the jobs). */
  wake(): void {
    if (this.stopping || !this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runOpenJobs()
      .catch((error: unknown) => this.options.logger.warn({ err: { type: (error as Error).name, message: safeMessage(error) } }, 'background jobs: a pass failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Stops after the page under way; its job keeps its recorded progress and its lease runs out for the next worker. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    // Runs a request starts itself (BackgroundJobs) go on; only the polling stopped.
    this.stopping = false;
  }

  /** Resolves when no pass is running (tests, and the command line worker). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Every open job that is due, one after another. */
  async runOpenJobs(): Promise<void> {
    let after: string | undefined;
    do {
      const page = await this.port.listOpenJobs(LIST_PAGE, after);
      for (const job of page.jobs) {
        if (this.stopping) return;
        if (this.due(job)) await this.run(job);
      }
      after = page.next;
    } while (after !== undefined && !this.stopping);
  }

  private due(job: JobRecord): boolean {
    const now = this.now();
    return job.status === 'OPEN' && (job.leaseUntil ?? 0) <= now && (job.notBefore ?? 0) <= now;
  }

  /**
   * Runs one job from its recorded progress: at most `pages` pages (the
   * request path runs a few inline; the worker runs them all). `held` when
   * another worker holds it.
   */
  async run(known: JobRecord, pages = Number.POSITIVE_INFINITY, call: CallOptions = {}): Promise<RunOutcome> {
    const job = await this.claim(known);
    if (!job) return { status: 'held', job: known };
    return this.runLeased(job, pages, call);
  }

  /** The job with this worker's lease on it, to create it already taken (createJob), so its creator runs it without a claim. */
  leased(job: JobRecord): JobRecord {
    return { ...job, owner: this.owner, leaseUntil: this.now() + this.leaseMs };
  }

  /** Runs a job this worker holds the lease of (claimed, or created leased). */
  async runLeased(leased: JobRecord, pages = Number.POSITIVE_INFINITY, call: CallOptions = {}): Promise<RunOutcome> {
    let job = leased;
    const handler = this.handlers[job.spec.kind];
    try {
      for (let done = 0; done < pages && !this.stopping; done++) {
        const current: JobRecord = job;
        const step = await this.pagePolicy.execute(() => handler.step(current, call));
        if (step.done) {
          job = await this.record(job, { progress: step.progress });
          await handler.finished?.(job, call);
          job = await this.record(job, { status: 'DONE', completedAt: this.options.clock().toISOString(), owner: null, leaseUntil: null, failures: 0, notBefore: null, lastError: null });
          return { status: 'done', job };
        }
        job = await this.record(job, { progress: step.progress, failures: 0, lastError: null });
      }
      job = await this.record(job, { owner: null, leaseUntil: null });
      return { status: 'paused', job };
    } catch (error) {
      if (error instanceof LostLease) return { status: 'held', job };
      const failures = job.failures + 1;
      const wait = Math.min(JOB_WAIT_MS * 2 ** (failures - 1), MAX_JOB_WAIT_MS);
      this.options.logger.warn({ job: job.id, kind: job.spec.kind, failures, err: { type: (error as Error).name, message: safeMessage(error) } }, 'background job stopped; it resumes later');
      const failed = job;
      job = await this.record(failed, { owner: null, leaseUntil: null, failures, notBefore: this.now() + wait, lastError: safeMessage(error) }).catch(() => failed);
      return { status: 'failed', job };
    }
  }

  /** Takes the job: a conditional write of the lease on the version read. Null when another worker holds it or it is done. */
  private async claim(known: JobRecord): Promise<JobRecord | null> {
    const job = await this.port.getJob(known.id);
    if (!job || job.status !== 'OPEN') return null;
    if ((job.leaseUntil ?? 0) > this.now()) return null;
    try {
      return await this.record(job, { owner: this.owner, leaseUntil: this.now() + this.leaseMs });
    } catch (error) {
      if (error instanceof LostLease) return null;
      throw error;
    }
  }

  /** Writes the job changed, renewing the lease while it is held; a conflict means another worker took it over. */
  private async record(job: JobRecord, change: Partial<JobRecord>): Promise<JobRecord> {
    const held = job.owner === this.owner && change.owner === undefined ? { leaseUntil: this.now() + this.leaseMs } : {};
    const next: JobRecord = { ...job, ...held, ...change, updatedAt: this.options.clock().toISOString(), version: job.version + 1 };
    const outcome = await this.port.replaceJob(next, job.version);
    if (outcome === 'conflict') throw new LostLease();
    return next;
  }
}

/** Another worker took the job over (this one's lease ran out): this run stops, that one goes on from the recorded progress. */
class LostLease extends Error {
  override readonly name = 'LostLease';
}

/** A SourceError's message names no value; anything else is reported by its type only. */
function safeMessage(error: unknown): string {
  return error instanceof SourceError ? error.message : `unexpected ${(error as Error | undefined)?.name ?? 'failure'}`;
}
