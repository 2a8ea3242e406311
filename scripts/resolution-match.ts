/**
 * `npm run resolution:match`: scores the customers of the single view with
 * the probabilistic matcher's model and stores merge suggestions (origin
 * MATCH) for a person to accept or reject (docs/identity-resolution.md,
 * "Merge suggestions from the matcher"). Same environment as the gateway:
 * DynamoDB when C360_DYNAMODB_ENDPOINT is set, otherwise the embedded data
 * dir (through the running gateway's store when one holds it).
 *
 *   --threshold <p>   suggest pairs at or above p (default: the model's review threshold)
 *   --model <file>    the model file (default: C360_MATCH_MODEL_FILE or config/match-model.json)
 *   --dry-run         score and report, store nothing
 *   --json            print the report as one JSON object
 *
 * Repeatable: a pair that has a suggestion (open, accepted or rejected)
 * keeps it, so a second run stores nothing new and a rejected pair is never
 * suggested again. Exit codes: 0 done; 64 usage; 78 configuration (a model
 * file that cannot be used); 1 stopped by a failing source (run it again).
 */
import { parseArgs } from 'node:util';
import { guardPort } from '../connectors/resilience/guardedPort.js';
import { SourceGuard } from '../connectors/resilience/sourceGuard.js';
import { SINGLE_VIEW_CALLS } from '../connectors/singleview/port.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { SuppressionList, suppressionSecret } from '../src/erasure/suppression.js';
import { MatchModelFileError, loadMatchModel } from '../src/matching/index.js';
import { matchSingleView } from '../src/matchSuggestions/batch.js';
import type { BatchMatchReport } from '../src/matchSuggestions/batch.js';
import { noopTracer } from '../src/telemetry/tracing.js';
import { toolEngine, toolPseudonyms } from '../src/tools/importIdentities.js';
import { openSingleViewForTool } from '../src/tools/openSingleView.js';

const USAGE = 'usage: npm run resolution:match [-- --threshold P] [--model FILE] [--dry-run] [--json]';

class UsageError extends Error {}

const options = {
  threshold: { type: 'string' },
  model: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(): Promise<number> {
  let values;
  try {
    values = parseArgs({ args: process.argv.slice(2), options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const threshold = values.threshold === undefined ? undefined : Number(values.threshold);
  if (threshold !== undefined && !(threshold > 0 && threshold < 1)) throw new UsageError('--threshold must be a probability strictly between 0 and 1');
  const config = loadConfig();
  let compiled;
  try {
    compiled = loadMatchModel(values.model ?? config.matching.modelFile);
  } catch (error) {
    if (error instanceof MatchModelFileError) throw new ConfigError(error.message);
    throw error;
  }
  const opened = await openSingleViewForTool(config);
  try {
    const guarded = guardPort(opened.store, new SourceGuard({ source: 'singleview', ...config.sources.singleview, tracer: noopTracer }), SINGLE_VIEW_CALLS);
    const suppressions = new SuppressionList(guarded, suppressionSecret(config.suppressionKey, toolPseudonyms(config)));
    const engine = toolEngine(config, guarded, suppressions);
    const report = await matchSingleView(engine.services, {
      compiled,
      defaultRegion: config.phoneDefaultRegion,
      blocklist: config.identity.blocked,
      threshold,
      dryRun: values['dry-run'] ?? false,
      context: { principal: 'tool:resolution-match', purpose: null, traceId: null },
    });
    process.stdout.write(values.json ? `${JSON.stringify(report)}\n` : `${describe(report, values['dry-run'] ?? false)}\n(${opened.via})\n`);
    return 0;
  } finally {
    await opened.close();
  }
}

function describe(report: BatchMatchReport, dryRun: boolean): string {
  const percent = (report.blockingFraction * 100).toPrecision(2);
  return [
    `model ${report.model}, threshold ${report.threshold}: ${report.customers} customers (${report.compared} with values to compare)`,
    `${report.candidatePairs} candidate pairs of ${report.comparablePairs} (${percent}% of all pairs) scored in ${report.seconds.toFixed(1)} s`,
    dryRun
      ? `${report.suggestedPairs} pairs at or above the threshold (dry run: nothing stored)`
      : `${report.suggestedPairs} pairs at or above the threshold: ${report.created} new suggestions, ${report.existing} already suggested or decided (left as they were)`,
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`${error.message}\n${USAGE}\n`);
    else if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`resolution:match stopped: ${(error as Error).message}; it is repeatable, run it again.\n`);
    process.exit(error instanceof UsageError ? 64 : error instanceof ConfigError ? 78 : 1);
  },
);
