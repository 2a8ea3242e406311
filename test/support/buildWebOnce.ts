import { buildWeb } from '../../scripts/buildWeb.js';

/**
 * vitest globalSetup: the browser and page tests need web/dist, built from
 * the current sources. A no-op when the build stamp matches.
 */
export default async function setup(): Promise<void> {
  const started = Date.now();
  const result = await buildWeb({ ifStale: true });
  if (result === 'built') process.stdout.write(`web pages built for the tests in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
