import type { Logger } from 'pino';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import type { Clock } from '../identity/clock.js';
import { backfillSegments } from './backfill.js';
import type { BackfillProgress } from './backfill.js';
import type { SegmentCatalog } from './catalog.js';
import { drainSegmentChanges } from './changeFeed.js';
import type { DrainOutcome } from './changeFeed.js';
import { evaluateDueSegments } from './dueRun.js';
import type { DueRun } from './dueRun.js';

/** An idle worker waits at most this many intervals between rounds (30 s at the default 5 s). */
export const IDLE_ROUNDS_MAX = 6;

/** Pages of 100 customers a backfill scans per round, so a round stays short beside live traffic and the rest follows in the next ones. */
const BACKFILL_PAGES_PER_ROUND = 1;

export interface SegmentRound {
  readonly backfill: BackfillProgress;
  readonly changes: DrainOutcome;
  readonly due: DueRun;
}

export interface SegmentWorkerDependencies {
  /** The port with the change feed (withSegmentChangeFeed). */
  readonly singleView: SingleViewPort;
  readonly segments: SegmentCatalog;
  readonly clock: Clock;
  readonly logger?: Logger | undefined;
  /** Backfill pages per round; unbounded for a one-off run (npm run segments:evaluate). */
  readonly backfillPages?: number;
  /** Announced customers reconciled at once (SEGMENT_WORKER_PARALLELISM unless given; fewer on the embedded default). */
  readonly changeParallelism?: number;
}

/**
 * One worker for the segment index (docs/segments.md): a round continues a
 * pending backfill (bounded), reconciles the announced customers (the
 * outbox), evaluates the customers whose due time has come, and reconciles
 * what that changed. The gateway runs rounds every C360_SEGMENTS_WORKER_MS;
 * `npm run segments:evaluate` runs one to the end.
 */
export class SegmentWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private tick: (() => void) | undefined;
  private intervalMs: number | undefined;
  /** The wait before the next round: `intervalMs`, doubled by each round that found nothing. */
  private idleWait = 0;
  private nextAt = 0;
  private woken = false;

  constructor(private readonly deps: SegmentWorkerDependencies) {}

  async runOnce(): Promise<SegmentRound> {
    const { singleView, segments, clock } = this.deps;
    // A stop (shutdown) ends the round at the next page: every step continues where it was on the next round.
    const shouldStop = () => this.stopped;
    const backfill = await backfillSegments({ singleView, segments, clock, shouldStop, maxPages: this.deps.backfillPages ?? BACKFILL_PAGES_PER_ROUND });
    const parallelism = this.deps.changeParallelism;
    const drain = { segments, clock, shouldStop, ...(parallelism === undefined ? {} : { parallelism }) };
    const first = await drainSegmentChanges(singleView, drain);
    const due = await evaluateDueSegments({ singleView, segments, clock, shouldStop });
    const second = await drainSegmentChanges(singleView, drain);
    return {
      backfill,
      changes: { reconciled: first.reconciled + second.reconciled, waiting: second.waiting, writes: first.writes + second.writes },
      due,
    };
  }

  /**
   * Rounds every `intervalMs`, one at a time; a failed round is logged (its
   * error type only) and the next one tries again. A round that found
   * nothing to do doubles the wait before the next, up to IDLE_ROUNDS_MAX
   * times `intervalMs`, so an idle gateway does not poll its store every few
   * seconds (48 calls a round); a change this process announces (wake())
   * brings the next round back to `intervalMs`. A due time or another
   * instance's change is therefore picked up within the longer wait.
   */
  start(intervalMs: number): void {
    this.intervalMs = intervalMs;
    const tick = () => {
      this.timer = undefined;
      if (this.stopped) return;
      const round = this.runOnce().then(
        (outcome) => {
          const busy = outcome.due.evaluated > 0 || outcome.changes.reconciled > 0 || outcome.changes.waiting > 0 || !outcome.backfill.complete || (!outcome.backfill.skipped && outcome.backfill.scanned > 0);
          if (busy) {
            this.deps.logger?.debug({ reconciled: outcome.changes.reconciled, due: outcome.due.evaluated, backfillScanned: outcome.backfill.scanned }, 'segments round');
          }
          this.idleWait = busy ? intervalMs : Math.min(this.idleWait * 2, intervalMs * IDLE_ROUNDS_MAX);
        },
        (error: unknown) => {
          this.idleWait = intervalMs;
          this.deps.logger?.warn({ err: { type: (error as Error).name } }, 'segments round failed; the next round tries again');
        },
      );
      this.running = round.finally(() => {
        this.running = undefined;
        this.schedule(this.woken ? intervalMs : this.idleWait);
        this.woken = false;
      });
    };
    this.tick = tick;
    this.idleWait = intervalMs;
    this.schedule(intervalMs);
  }

  /** A change was announced in this process: the next round comes within `intervalMs`, however long the worker has been idle. */
  wake(): void {
    if (this.intervalMs === undefined || this.stopped) return;
    this.idleWait = this.intervalMs;
    // During a round: the wait after it is the short one.
    if (this.running) this.woken = true;
    else if (this.timer && this.nextAt > Date.now() + this.intervalMs) this.schedule(this.intervalMs);
  }

  private schedule(ms: number): void {
    if (this.stopped || !this.tick) return;
    if (this.timer) clearTimeout(this.timer);
    this.nextAt = Date.now() + ms;
    this.timer = setTimeout(this.tick, ms).unref();
  }

  /** Stops scheduling rounds and waits for the one under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
