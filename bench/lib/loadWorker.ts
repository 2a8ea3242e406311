import autocannon from 'autocannon';
import type { LoadJob, LoadResult } from './load.js';

/**
 * The load generator's own process (autocannon), so it never shares an event
 * loop with a server it measures. Takes one job at a time over IPC from the
 * harness, answers with the summary.
 */
const ERRORS_MARKER = Buffer.from('"errors":[');

/** The p50 and mean of durations in milliseconds, to the microsecond. */
function precise(durations: number[]): { p50: number; mean: number } | undefined {
  if (durations.length === 0) return undefined;
  durations.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 1000) / 1000;
  return { p50: round(durations[Math.floor((durations.length - 1) / 2)]!), mean: round(durations.reduce((sum, d) => sum + d, 0) / durations.length) };
}

function run(job: LoadJob): Promise<LoadResult> {
  // autocannon's latency histogram keeps whole milliseconds; its clients report each answer's duration to the microsecond.
  const durations: number[] = [];
  let withErrors = 0;
  let firstError: string | undefined;
  let next = 0;
  const bodies = job.bodies ?? (job.body === undefined ? undefined : [job.body]);
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: job.url,
        method: job.method,
        headers: job.headers,
        connections: job.connections,
        duration: job.durationSeconds,
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
          client.on('response', (statusCode: number, _bytes: number, durationMs: number) => {
            if (statusCode >= 200 && statusCode < 300) durations.push(durationMs);
          });
          client.on('body', (chunk: Buffer) => {
            const at = chunk.indexOf(ERRORS_MARKER);
            if (at < 0) return;
            withErrors += 1;
            // The error codes say why; messages name sources and fields, never personal values.
            firstError ??= chunk.subarray(at, at + 400).toString('utf8');
          });
        },
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          requestsPerSecond: result.requests.average,
          latency: { p50: result.latency.p50, p97_5: result.latency.p97_5, p99: result.latency.p99, mean: result.latency.mean, max: result.latency.max },
          ...(durations.length > 0 ? { preciseLatency: precise(durations) } : {}),
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
  run(message.job).then(
    (result) => process.send!({ id: message.id, result }),
    (error: Error) => process.send!({ id: message.id, error: error.message }),
  );
});
process.on('disconnect', () => process.exit(0));
