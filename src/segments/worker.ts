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

  constructor(private readonly deps: SegmentWorkerDependencies) {}

  async runOnce(): Promise<SegmentRound> {
    const { singleView, segments, clock } = this.deps;
    // A stop (shutdown) ends the round at the next page: every step continues where it was on the next round.
    const shouldStop = () => this.stopped;
    const backfill = await backfillSegments({ singleView, segments, clock, shouldStop, maxPages: this.deps.backfillPages ?? BACKFILL_PAGES_PER_ROUND });
    const first = await drainSegmentChanges(singleView, { segments, clock, shouldStop });
    const due = await evaluateDueSegments({ singleView, segments, clock, shouldStop });
    const second = await drainSegmentChanges(singleView, { segments, clock, shouldStop });
    return {
      backfill,
      changes: { reconciled: first.reconciled + second.reconciled, waiting: second.waiting, writes: first.writes + second.writes },
      due,
    };
  }

  /** Rounds every `intervalMs`, one at a time; a failed round is logged (its error type only) and the next one tries again. */
  start(intervalMs: number): void {
    const tick = () => {
      if (this.stopped) return;
      const round = this.runOnce().then(
        (outcome) => {
          if (outcome.due.evaluated > 0 || outcome.changes.reconciled > 0 || (!outcome.backfill.skipped && outcome.backfill.scanned > 0)) {
            this.deps.logger?.debug({ reconciled: outcome.changes.reconciled, due: outcome.due.evaluated, backfillScanned: outcome.backfill.scanned }, 'segments round');
          }
        },
        (error: unknown) => this.deps.logger?.warn({ err: { type: (error as Error).name } }, 'segments round failed; the next round tries again'),
      );
      this.running = round.finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, intervalMs).unref();
      });
    };
    this.timer = setTimeout(tick, intervalMs).unref();
  }

  /** Stops scheduling rounds and waits for the one under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
