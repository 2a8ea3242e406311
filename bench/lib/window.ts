import type { LoadResult } from './load.js';

/** The p50 and mean of durations in milliseconds, to the microsecond. */
export function precise(durations: number[]): { p50: number; mean: number } | undefined {
  if (durations.length === 0) return undefined;
  durations.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return { p50: round(durations[Math.floor((durations.length - 1) / 2)]!), mean: round(durations.reduce((sum, d) => sum + d, 0) / durations.length) };
}

/** One answer of the measured window. */
export interface Answer {
  readonly status: number;
  readonly bytes: number;
  /** Milliseconds, to the microsecond. */
  readonly duration: number;
  readonly withErrors: boolean;
}

/** The value at or below which `share` of the sorted values lie (nearest rank). */
function rank(sorted: readonly number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

/**
 * A point's figures from the answers to requests sent in its window (after
 * the settle): rate over the window, latencies in whole milliseconds as
 * autocannon reports them, and to the microsecond. Connection errors and
 * timeouts are the whole run's (autocannon counts them without a time).
 */
export function windowResult(answers: readonly Answer[], windowMs: number, run: Pick<LoadResult, 'errors' | 'timeouts'>, firstError: string | undefined): LoadResult {
  const ok = answers.filter((answer) => answer.status >= 200 && answer.status < 300).map((answer) => answer.duration);
  const all = answers.map((answer) => answer.duration).sort((a, b) => a - b);
  const bytes = answers.reduce((sum, answer) => sum + answer.bytes, 0);
  const withErrors = answers.filter((answer) => answer.withErrors).length;
  const whole = (ms: number) => Math.round(ms);
  return {
    requestsPerSecond: windowMs > 0 ? Math.round((answers.length / windowMs) * 1000 * 100) / 100 : 0,
    latency:
      all.length === 0
        ? { p50: 0, p97_5: 0, p99: 0, mean: 0, max: 0 }
        : { p50: whole(rank(all, 0.5)), p97_5: whole(rank(all, 0.975)), p99: whole(rank(all, 0.99)), mean: Math.round((all.reduce((sum, d) => sum + d, 0) / all.length) * 100) / 100, max: whole(all.at(-1)!) },
    ...(ok.length > 0 ? { preciseLatency: precise(ok) } : {}),
    completed: answers.length,
    non2xx: answers.length - ok.length,
    errors: run.errors,
    timeouts: run.timeouts,
    responsesWithErrors: withErrors,
    ...(withErrors > 0 && firstError ? { firstError } : {}),
    bytesPerResponse: answers.length > 0 ? Math.round(bytes / answers.length) : 0,
  };
}

