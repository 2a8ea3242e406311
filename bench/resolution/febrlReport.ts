import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { probabilityOf } from '../../src/matching/index.js';
import type { MatchRecord } from '../../src/matching/index.js';
import { precisionRecallChart } from './chart.js';
import type { ChartSeries, CurvePoint } from './chart.js';
import { RULE_SETS, crossCheck, resolveDeterministic } from './deterministic.js';
import { readFebrl } from './febrl.js';
import { runMatcher } from './matcherRun.js';
import type { MatcherRun } from './matcherRun.js';
import { pairCounts, pairScores } from './pairMetrics.js';
import type { PairScores } from './pairMetrics.js';

/**
 * The FEBRL figures of bench/README.md ("Identity resolution quality"):
 * the deterministic engine's rule sets and the matcher on FEBRL 3 and 4,
 * the precision–recall chart, and the matcher's time on FEBRL 4.
 */
const README = fileURLToPath(new URL('../README.md', import.meta.url));
const CHART = fileURLToPath(new URL('../results/resolution-pr.svg', import.meta.url));
const START = '<!-- bench:resolution:start -->';
const END = '<!-- bench:resolution:end -->';
/** FEBRL 4's time is the median of this many runs of the whole matcher. */
const TIMED_RUNS = 3;

interface DataSet {
  readonly name: string;
  readonly label: string;
  readonly records: MatchRecord[];
  readonly truth: string[];
  /** Linkage: pairs count only across sides, and the matcher compares only across them. */
  readonly sides?: string[] | undefined;
  readonly color: string;
}

function dataSets(): [DataSet, DataSet] {
  const three = readFebrl('dataset3');
  const a = readFebrl('dataset4a', 'A');
  const b = readFebrl('dataset4b', 'B');
  const records4 = [...a.records, ...b.records];
  return [
    { name: 'FEBRL 3', label: 'FEBRL 3 (dedup, 5,000)', records: three.records, truth: three.clusters, color: '#1f6feb' },
    { name: 'FEBRL 4', label: 'FEBRL 4 (A×B, 5,000 + 5,000)', records: records4, truth: [...a.clusters, ...b.clusters], sides: records4.map((r) => r.source!), color: '#d1242f' },
  ];
}

interface Row {
  readonly data: string;
  readonly method: string;
  readonly scores: PairScores;
}

export async function runFebrl(options: { matcherOnly: boolean; write: boolean }): Promise<void> {
  const load = loadavg()[0]!;
  const sets = dataSets();
  const rows: Row[] = [];
  const series: ChartSeries[] = [];
  if (!options.matcherOnly) {
    const sample = sets[1].records.filter((_, i) => Number(sets[1].truth[i]) < 150);
    await crossCheck(sample);
    process.stdout.write(`cross-check: ${sample.length} records give the same customers over dynalite and in memory\n`);
    for (const rules of RULE_SETS) {
      for (const set of sets) {
        const clusterOf = await resolveDeterministic(set.records, rules);
        const scores = pairScores(pairCounts(clusterOf, set.truth, set.sides));
        rows.push({ data: set.label, method: `deterministic: ${rules.name}`, scores });
        series.push({ label: `${set.name}, deterministic ${rules.name}`, color: shade(set.color, RULE_SETS.indexOf(rules)), point: scores });
        process.stdout.write(`${tableRow(rows.at(-1)!)}\n`);
      }
    }
  }
  const runs = sets.map((set) => matcherOn(set));
  sets.forEach((set, i) => {
    const run = runs[i]!;
    const scores = pairScores(pairCounts(run.clustering.clusterOf, set.truth, set.sides));
    rows.push({ data: set.label, method: `matcher (threshold ${run.threshold})`, scores });
    series.splice(i, 0, { label: `${set.name}, matcher (circle: threshold ${run.threshold})`, color: set.color, curve: sweep(run, set), marked: { threshold: run.threshold, ...scores }, dashed: i > 0 });
    process.stdout.write(`${tableRow(rows.at(-1)!)}\n`);
  });
  const timed = [runs[1]!.seconds, ...Array.from({ length: TIMED_RUNS - 1 }, () => matcherOn(sets[1]).seconds)];
  const median = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  const timings = timed.map((t) => t.total).sort((x, y) => x - y);
  const timing = { median: median(timed.map((t) => t.total)), cpu: median(timed.map((t) => t.cpu)), timings, load };
  process.stdout.write(`FEBRL 4 normalize + train + score + cluster: median ${timing.median.toFixed(2)} s wall, ${timing.cpu.toFixed(2)} s CPU of ${TIMED_RUNS} runs (${timings.map((t) => t.toFixed(2)).join(', ')}), load average ${load.toFixed(2)} on ${cpus().length} cores\n`);
  if (!options.write) return;
  writeFileSync(CHART, precisionRecallChart(series, 0.98));
  writeSection(rows, sets, runs, timing);
}

function matcherOn(set: DataSet): MatcherRun {
  return runMatcher(set.records, { name: set.name.replace(' ', '-').toLowerCase(), description: set.label, linkOnly: set.sides !== undefined, defaultRegion: 'AU' });
}

/**
 * The matcher's clusters at odds from 2^-40 to 2^40 (threshold = the
 * probability at those odds). Below the chain guard's own floor the guard
 * follows the threshold down, so the low end shows what linking nearly
 * everything would give rather than the guard's floor.
 */
function sweep(run: MatcherRun, set: DataSet): CurvePoint[] {
  const points: CurvePoint[] = [];
  const floor = run.model.clustering.minPairProbability;
  for (let bits = -40; bits <= 40; bits += 2) {
    const threshold = probabilityOf(bits);
    const clustering = run.matcher.cluster(run.links, threshold, { minPairProbability: Math.min(floor, threshold) });
    const scores = pairScores(pairCounts(clustering.clusterOf, set.truth, set.sides));
    points.push({ threshold, precision: scores.precision, recall: scores.recall });
  }
  return points;
}

function shade(color: string, index: number): string {
  const shades: Record<string, readonly string[]> = { '#1f6feb': ['#0a3069', '#54aeff', '#8250df'], '#d1242f': ['#82071e', '#ff8182', '#bf8700'] };
  return shades[color]?.[index] ?? color;
}

const f = (x: number) => x.toFixed(4);
function tableRow(row: Row): string {
  const s = row.scores;
  return `| ${row.data} | ${row.method} | ${s.truePairs} | ${s.predictedPairs} | ${s.correctPairs} | ${f(s.precision)} | ${f(s.recall)} | ${f(s.f1)} |`;
}

function writeSection(rows: readonly Row[], sets: readonly DataSet[], runs: readonly MatcherRun[], timing: { median: number; cpu: number; timings: number[]; load: number }): void {
  const table = ['| data set | method | true pairs | predicted pairs | correct | precision | recall | F1 |', '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |', ...rows.map(tableRow)].join('\n');
  const matcherLines = sets.map((set, i) => {
    const run = runs[i]!;
    const fraction = (run.candidates.count / run.comparable) * 100;
    return `| ${set.label} | ${run.candidates.count} of ${run.comparable} (${fraction.toFixed(3)}%) | ${run.model.prior.matchProbability} | ${run.model.training.sessions.length} | ${run.clustering.refused} | ${run.seconds.prepare.toFixed(2)} / ${run.seconds.train.toFixed(2)} / ${run.seconds.score.toFixed(2)} / ${run.seconds.cluster.toFixed(2)} |`;
  });
  const rules = RULE_SETS.map((r) => `- **${r.name}**: ${r.describe}`).join('\n');
  const section = [
    START,
    '## Identity resolution quality',
    '',
    'Written by `npm run resolution:eval` (do not edit by hand) on the real FEBRL 3 and FEBRL 4 data sets',
    '([bench/data/febrl/README.md](data/febrl/README.md)). Precision, recall and F1 are over unordered pairs of records placed in one',
    'person: FEBRL 3 counts every pair, FEBRL 4 pairs of one record of file A and one of file B. Labels (`rec_id`) are used only',
    'to score; neither method sees them.',
    '',
    '- **deterministic**: the engine (exact match on normalized identifiers, priority order, per-type limits), each record sent',
    '  through the `identify` code path in file order. Rule sets (how a record becomes identifiers):',
    rules.replace(/^/gm, '  '),
    '- **matcher**: the Fellegi–Sunter matcher of `src/matching/` ([docs/identity-resolution.md](../docs/identity-resolution.md),',
    '  "Probabilistic matching"), trained on the data set itself (u from random pairs, m by EM, no labels), at the default review',
    '  threshold; FEBRL 4 as linkage (records of one file are not compared with each other).',
    '',
    table,
    '',
    'Published on the same files with Splink (Fellegi–Sunter, EM-trained, match probability 0.5): FEBRL 3 F1 0.993, FEBRL 4 F1 0.999.',
    '',
    '| matcher on | candidate pairs after blocking (of all comparable) | prior | EM sessions | links refused by the chain guard | seconds: normalize / train / score / cluster |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...matcherLines,
    '',
    `FEBRL 4, normalize + train + score + cluster, whole: **${timing.median.toFixed(2)} s** wall clock, ${timing.cpu.toFixed(2)} s of CPU (medians of ${TIMED_RUNS} runs;`,
    `wall: ${timing.timings.map((t) => t.toFixed(2)).join(', ')} s), timed with \`performance.now()\` and \`process.cpuUsage()\` around the steps in one Node ${process.version}`,
    `process (reading the CSV files not counted), on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}) shared with other work: load average`,
    `${timing.load.toFixed(2)} when the run started. CPU time is what the run costs whatever else the machine is doing; wall time on a busy machine is longer.`,
    '',
    '![precision against recall: the matcher\'s lines over thresholds, the deterministic rule sets as squares](results/resolution-pr.svg)',
    '',
    'The lines are the matcher\'s clusters at thresholds from odds 2^-40 to 2^40 (probability 1e-12 to 1 - 1e-12; below the chain guard\'s',
    'floor of 1e-4 the guard follows the threshold down); the circle is the default threshold. The right panel is the top-right corner of',
    'the left one.',
    END,
  ].join('\n');
  const current = existsSync(README) ? readFileSync(README, 'utf8') : '# Benchmarks\n';
  const at = current.indexOf(START);
  const end = current.indexOf(END);
  const next = at >= 0 && end > at ? current.slice(0, at) + section + current.slice(end + END.length) : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(README, next);
}
