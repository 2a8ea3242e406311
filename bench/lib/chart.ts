import type { BenchResults, PointResult } from './results.js';
import type { ScenarioName, Variant } from './scenarios.js';
import { VARIANT_LABELS } from './scenarios.js';

/**
 * The report's chart, drawn from the results JSON: one panel per scenario,
 * median latency (log scale) against connections, a line per variant;
 * dashed lines are the same variant with 20 ms per source call.
 */
const PANEL_WIDTH = 330;
const PANEL_HEIGHT = 240;
const MARGIN = { left: 52, right: 14, top: 30, bottom: 38 };
const COLORS: Partial<Record<Variant, string>> = {
  gateway: '#1f6feb',
  naive: '#d1242f',
  direct: '#1a7f37',
  'raw-writes': '#1a7f37',
  'bare-apollo': '#8250df',
  'bare-route': '#6e7781',
};
const CHARTED: readonly Variant[] = ['gateway', 'naive', 'direct', 'raw-writes', 'bare-apollo', 'bare-route'];
const SCENARIOS: readonly ScenarioName[] = ['call-centre', 'me', 'partner-batch', 'track'];

export function latencyChart(results: BenchResults): string {
  const panels = SCENARIOS.map((scenario, i) => panel(results, scenario, (i % 2) * PANEL_WIDTH, Math.floor(i / 2) * PANEL_HEIGHT));
  const legendY = 2 * PANEL_HEIGHT + 10;
  const legend = CHARTED.filter((v) => v !== 'raw-writes').map((variant, i) => {
    const x = 10 + (i % 3) * 220;
    const y = legendY + Math.floor(i / 3) * 18;
    const label = variant === 'direct' ? `${VARIANT_LABELS.direct} (track: raw writes)` : VARIANT_LABELS[variant];
    return `<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${COLORS[variant]}" stroke-width="2"/><text x="${x + 28}" y="${y + 4}">${escape(label)}</text>`;
  });
  const dashY = legendY + 40;
  const width = 2 * PANEL_WIDTH;
  const height = dashY + 14;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...panels,
    ...legend,
    `<line x1="10" y1="${dashY}" x2="32" y2="${dashY}" stroke="#333" stroke-width="2" stroke-dasharray="5 3"/><text x="38" y="${dashY + 4}">dashed: 20 ms injected per source call; solid: none</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function panel(results: BenchResults, scenario: ScenarioName, x0: number, y0: number): string {
  // A point with no answer in its window has no latency to draw.
  const points = results.points.filter((p) => p.scenario === scenario && CHARTED.includes(p.variant) && p.completed > 0);
  const plotW = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const parts = [`<g transform="translate(${x0},${y0})">`, `<text x="${MARGIN.left}" y="18" font-size="13" font-weight="bold">${escape(scenario)}: p50 latency (ms) vs connections</text>`];
  if (points.length === 0) {
    const reason = results.skipped.find((s) => s.scenario === scenario)?.reason ?? 'not in this run';
    parts.push(`<text x="${MARGIN.left}" y="${MARGIN.top + 30}">skipped:</text>`);
    wrap(reason, 48).forEach((line, i) => parts.push(`<text x="${MARGIN.left}" y="${MARGIN.top + 48 + i * 14}">${escape(line)}</text>`));
    parts.push('</g>');
    return parts.join('');
  }
  const connections = [...new Set(points.map((p) => p.connections))].sort((a, b) => a - b);
  const latencies = points.map((p) => Math.max(p.latency.p50, 0.5));
  const lo = Math.floor(Math.log10(Math.min(...latencies)));
  const hi = Math.ceil(Math.log10(Math.max(...latencies)));
  const span = Math.max(hi - lo, 1);
  const xOf = (c: number) => MARGIN.left + (connections.length === 1 ? plotW / 2 : (connections.indexOf(c) / (connections.length - 1)) * plotW);
  const yOf = (ms: number) => MARGIN.top + plotH - ((Math.log10(Math.max(ms, 0.5)) - lo) / span) * plotH;
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#d0d7de"/>`);
  for (let e = lo; e <= hi; e++) {
    const y = yOf(10 ** e);
    parts.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#eaeef2"/><text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${10 ** e >= 1 ? 10 ** e : (10 ** e).toFixed(1)}</text>`);
  }
  for (const c of connections) parts.push(`<text x="${xOf(c)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${c}</text>`);
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 32}" text-anchor="middle">connections</text>`);
  for (const variant of CHARTED) {
    for (const latencyMs of [0, 20]) {
      const line = points.filter((p) => p.variant === variant && p.latencyMs === latencyMs).sort((a, b) => a.connections - b.connections);
      if (line.length === 0) continue;
      parts.push(polyline(line, xOf, yOf, COLORS[variant]!, latencyMs > 0));
    }
  }
  parts.push('</g>');
  return parts.join('');
}

function polyline(line: PointResult[], xOf: (c: number) => number, yOf: (ms: number) => number, color: string, dashed: boolean): string {
  const coords = line.map((p) => `${xOf(p.connections).toFixed(1)},${yOf(p.latency.p50).toFixed(1)}`);
  const dots = line.map((p) => `<circle cx="${xOf(p.connections).toFixed(1)}" cy="${yOf(p.latency.p50).toFixed(1)}" r="2.5" fill="${color}"/>`).join('');
  return `<polyline points="${coords.join(' ')}" fill="none" stroke="${color}" stroke-width="2"${dashed ? ' stroke-dasharray="5 3"' : ''}/>${dots}`;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if ((line + ' ' + word).trim().length > width) {
      lines.push(line.trim());
      line = word;
    } else line += ` ${word}`;
  }
  if (line.trim()) lines.push(line.trim());
  return lines;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
