import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';

/**
 * Logs the process's resident memory, heap and event-loop delay every
 * `intervalMs` (C360_PROCESS_METRICS_MS): the soak benchmark (bench/soak.ts)
 * reads these lines from the gateway it runs. Delay percentiles cover the
 * interval since the previous line, and count only the lateness: the
 * histogram records the whole time between its 10 ms samples, so an idle
 * loop would otherwise show 10 ms. Returns a function that stops it.
 */
const RESOLUTION_MS = 10;

export function startProcessMetrics(logger: Logger, intervalMs: number): () => void {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  const ms = (ns: number) => Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS);
  let cpu = process.cpuUsage();
  let since = performance.now();
  const timer = setInterval(() => {
    const memory = process.memoryUsage();
    const used = process.cpuUsage(cpu);
    const elapsedMs = performance.now() - since;
    cpu = process.cpuUsage();
    since = performance.now();
    logger.info(
      {
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        // Of one core; with a delay that is high while this is low, the process waited for a CPU rather than worked.
        cpuPercent: Math.round(((used.user + used.system) / 1000 / elapsedMs) * 1000) / 10,
        eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
      },
      'process metrics',
    );
    delay.reset();
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    delay.disable();
  };
}
