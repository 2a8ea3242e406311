import autocannon from 'autocannon';
import type { Instance } from 'autocannon';
import type { LoadJob, LoadResult } from './load.js';
import { durationOf, isOk, precise, windowResult } from './window.js';
import type { Answer } from './window.js';

/**
 * The load generator's own process (autocannon), so it never shares an event
 * loop with a server it measures. Takes one job at a time over IPC from the
 * harness, answers with the summary.
 */
const ERRORS_MARKER = Buffer.from('"errors":[');

/** Longest a point waits after its window for the answers to requests sent in it (autocannon's own timeout). */
const DRAIN_LIMIT_SECONDS = 30;

function run(job: LoadJob, windowOpen: () => void, windowClosed: () => void): Promise<LoadResult> {
  // autocannon's latency histogram keeps whole milliseconds; its clients report each answer's duration to the microsecond.
  const answers: Answer[] = [];
  let firstError: string | undefined;
  let next = 0;
  const bodies = job.bodies ?? (job.body === undefined ? undefined : [job.body]);
  // With a settle, the run is longer by it, and the point is the window after it (lib/window.ts).
  const settleMs = (job.settleSeconds ?? 0) * 1000;
  const windowAt = performance.now() + settleMs;
  const windowEnd = windowAt + job.durationSeconds * 1000;
  const settle = setTimeout(windowOpen, settleMs);
  // When each connection's request in flight was sent (one at a time: no pipelining); undefined when none is.
  const inFlightSince: Array<number | undefined> = [];
  let closed = false;
  let instance: Instance | undefined;
  // After the window, the load goes on until every request sent in it has its answer, then stops: a
  // latency is each such request's, however long it took, not only of those that came back in time.
  const stopWhenDrained = () => {
    if (closed && !inFlightSince.some((sentAt) => sentAt !== undefined && sentAt >= windowAt && sentAt <= windowEnd)) instance?.stop();
  };
  const close = settleMs > 0 ? setTimeout(() => {
    closed = true;
    windowClosed();
    stopWhenDrained();
  }, windowEnd - performance.now()) : undefined;
  return new Promise((resolve, reject) => {
    instance = autocannon(
      {
        url: job.url,
        method: job.method,
        headers: job.headers,
        connections: job.connections,
        duration: job.durationSeconds + settleMs / 1000 + (settleMs > 0 ? DRAIN_LIMIT_SECONDS : 0),
        ...(job.overallRate ? { overallRate: job.overallRate } : {}),
        timeout: 30,
        requests: [
          {
            // Each request takes the next body; `[<id>]` in it becomes a unique id (idempotency keys, sort keys).
            setupRequest: (request) => {
              if (!bodies) return request;
              const body = bodies[next++ % bodies.length]!;
              return { ...request, body: body.replaceAll('[<id>]', `${process.pid}-${next}-${Math.random().toString(36).slice(2, 10)}`) };
            },
          },
        ],
        // A GraphQL error answers 200; count the responses that carry one (a chunk boundary could hide a rare one).
        setupClient: (client) => {
          const slot = inFlightSince.push(undefined) - 1;
          // Whether the answer being read carries GraphQL errors ('body' comes before its 'response').
          let answerWithErrors = false;
          client.on('request', () => {
            inFlightSince[slot] = performance.now();
          });
          // A request timed out or its connection was lost: nothing more will come for it (the run counts it).
          const lost = () => {
            inFlightSince[slot] = undefined;
            stopWhenDrained();
          };
          client.on('timeout', lost);
          client.on('connError', lost);
          client.on('response', (statusCode: number, bytes: number, durationMs: number) => {
            const doneAt = performance.now();
            inFlightSince[slot] = undefined;
            answers.push({ status: statusCode, bytes, sentAt: doneAt - durationMs, doneAt, withErrors: answerWithErrors });
            answerWithErrors = false;
            stopWhenDrained();
          });
          client.on('body', (chunk: Buffer) => {
            const at = chunk.indexOf(ERRORS_MARKER);
            if (at < 0) return;
            answerWithErrors = true;
            // The error codes say why; messages name sources and fields, never personal values.
            firstError ??= chunk.subarray(at, at + 400).toString('utf8');
          });
        },
      },
      (error, result) => {
        clearTimeout(settle);
        clearTimeout(close);
        if (error) return reject(error);
        if (settleMs > 0) return resolve(windowResult(answers, windowAt, windowEnd, { errors: result.errors, timeouts: result.timeouts }, firstError));
        // Without a settle, autocannon's own figures for the whole run, and the precise ones from its answers.
        const ok = answers.filter(isOk).map(durationOf);
        const withErrors = answers.filter((answer) => answer.withErrors).length;
        resolve({
          requestsPerSecond: result.requests.average,
          latency: { p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99, mean: result.latency.mean, max: result.latency.max },
          ...(ok.length > 0 ? { preciseLatency: precise(ok) } : {}),
          // requests.total counts answers; the latency histogram's count is not that under a fixed rate.
          completed: result.requests.total,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          responsesWithErrors: withErrors,
          ...(firstError ? { firstError } : {}),
          bytesPerResponse: result.requests.total > 0 ? Math.round(result.throughput.total / result.requests.total) : 0,
        });
      },
    );
  });
}

process.on('message', (message: { id: number; job: LoadJob }) => {
  run(
    message.job,
    () => process.send!({ id: message.id, windowOpen: true }),
    () => process.send!({ id: message.id, windowClosed: true }),
  ).then(
    (result) => process.send!({ id: message.id, result }),
    (error: Error) => process.send!({ id: message.id, error: error.message }),
  );
});
process.on('disconnect', () => process.exit(0));
