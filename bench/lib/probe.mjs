// Loaded into the gateway for the soak (node --import): every 10 s, the event
// loop delay p99 and RSS on stderr as `c360-probe {json}`. Plain JavaScript so
// it loads before tsx.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
setInterval(() => {
  const sample = { at: Date.now(), eventLoopDelayP99Ms: Math.round(histogram.percentile(99) / 1e4) / 100, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) };
  histogram.reset();
  process.stderr.write(`c360-probe ${JSON.stringify(sample)}\n`);
}, 10_000).unref();
