import { ConfigError, loadConfig } from './config.js';
import { DataDirInUseError } from './embedded/dynalite.js';
import { createLogger } from './logger.js';
import { createGateway } from './server.js';
import { SourceStartError } from './sourceStart.js';
import { startProcessMetrics } from './telemetry/processMetrics.js';

/**
 * `npm start`: configuration from the environment, then the gateway. SIGTERM
 * or SIGINT drains in-flight requests and closes the sources before exit.
 */

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (config.processMetricsMs > 0) startProcessMetrics(logger, config.processMetricsMs);
  let gateway;
  try {
    gateway = await createGateway(config, { logger });
  } catch (error) {
    // A bad policy file or a data dir held by another process: say what to fix.
    if (error instanceof ConfigError || error instanceof DataDirInUseError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    // A required source that cannot be reached: says which, and which variable points at it.
    if (error instanceof SourceStartError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(69); // EX_UNAVAILABLE
    }
    throw error;
  }
  await gateway.listen();

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      logger.error({ graceMs: config.shutdownGraceMs }, 'shutdown grace period over; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    force.unref();
    gateway.close().then(
      () => {
        logger.info('shut down cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: { type: (error as Error).name } }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`c360 failed to start: ${(error as Error).message}\n`);
  process.exit(1);
});
