import type { LoadResult } from './load.js';

/** The p50 and mean of durations in milliseconds, to the microsecond. */
export function precise(durations: number[]): { p50: number; mean: number } | undefined {
  if (durations.length === 0) return undefined;
  durations.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return { p50: round(durations[Math.floor((durations.length - 1) / 2)]!), mean: round(durations.reduce((sum, d) => sum + d, 0) / durations.length) };
}

/** One answer of a run, with when its request went out and when it came back (performance.now(), milliseconds). */
export interface Answer {
  readonly status: number;
  readonly bytes: number;
  readonly sentAt: number;
  readonly doneAt: number;
  readonly withErrors: boolean;
}

export const durationOf = (answer: Answer): number => answer.doneAt - answer.sentAt;

export const isOk = (answer: Answer): boolean => answer.status >= 200 && answer.status < 300;

/** The value at or below which `share` of the sorted values lie (nearest rank). */
function rank(sorted: readonly number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

/**
 * A point's figures from its window, `from` to `to`: the rate, failures,
 * answers with errors and bytes from the answers that came back in it (as
 * the server's CPU is read over it), and the latencies, in whole
 * milliseconds as autocannon reports them and to the microsecond, from the
 * answers to requests sent in it, so that none waited out the connections'
 * opening, each however long it took: the load generator keeps the load on
 * after the window until all of them are answered (lib/loadWorker.ts), so
 * the slow answers to the window's last requests are not left out.
 * Connection errors and timeouts are the whole run's (autocannon counts
 * them without a time).
 */
export function windowResult(answers: readonly Answer[], from: number, to: number, run: Pick<LoadResult, 'errors' | 'timeouts'>, firstError: string | undefined): LoadResult {
  const back = answers.filter((answer) => answer.doneAt >= from && answer.doneAt <= to);
  const sent = answers.filter((answer) => answer.sentAt >= from && answer.sentAt <= to);
  const durations = sent.map(durationOf).sort((a, b) => a - b);
  const ok = sent.filter(isOk).map(durationOf);
  const failed = back.filter((answer) => !isOk(answer)).length;
  const withErrors = back.filter((answer) => answer.withErrors).length;
  const bytes = back.reduce((sum, answer) => sum + answer.bytes, 0);
  const whole = (ms: number) => Math.round(ms);
  return {
    requestsPerSecond: to > from ? Math.round((back.length / (to - from)) * 1000 * 100) / 100 : 0,
    latency:
      durations.length === 0
        ? { p50: 0, p97_5: 0, p99: 0, mean: 0, max: 0 }
        : {
            p50: whole(rank(durations, 0.5)),
            p97_5: whole(rank(durations, 0.975)),
            p99: whole(rank(durations, 0.99)),
            mean: Math.round((durations.reduce((sum, d) => sum + d, 0) / durations.length) * 100) / 100,
            max: whole(durations.at(-1)!),
          },
    ...(ok.length > 0 ? { preciseLatency: precise(ok) } : {}),
    completed: back.length,
    non2xx: failed,
    errors: run.errors,
    timeouts: run.timeouts,
    responsesWithErrors: withErrors,
    ...(withErrors > 0 && firstError ? { firstError } : {}),
    bytesPerResponse: back.length > 0 ? Math.round(bytes / back.length) : 0,
  };
}
