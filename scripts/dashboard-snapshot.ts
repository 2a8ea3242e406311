/**
 * `npm run dashboard:snapshot`: draws docs/img/dashboard.png, the picture
 * of deploy/grafana/c360-dashboard.json in docs/operations.md, from real
 * data. It starts the gateway (embedded, demo data, metrics on), sends it
 * traffic for DURATION_S seconds through phases (normal; the CRM down, so
 * its circuit opens; the audit table down; normal again), scrapes /metrics
 * every SCRAPE_EVERY_MS, and evaluates every panel's PromQL over those
 * scrapes (scripts/dashboard/promql.ts) with $__rate_interval at RATE_WINDOW.
 * Layout, titles, units, legends and stacking are the dashboard's own; the
 * panels are drawn as SVG and photographed by headless Chromium.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mintApiKey } from '../src/auth/apiKeys.js';
import type { ApiKeyRecord } from '../src/domain/index.js';
import { loadConfig } from '../src/config.js';
import { generateDemoData } from '../src/embedded/demoData.js';
import { createLogger } from '../src/logger.js';
import { projectPath } from '../src/projectRoot.js';
import { createGateway } from '../src/server.js';
import type { Sources } from '../src/sources.js';
import { launchChromium } from '../test/support/browser.js';
import { parseExposition } from '../test/support/prometheus.js';
import { evaluate, parsePromQL } from './dashboard/promql.js';
import type { Scrape } from './dashboard/promql.js';

const DURATION_S = Number(process.env.SNAPSHOT_SECONDS ?? 150);
const SCRAPE_EVERY_MS = 2_000;
const RATE_WINDOW = '10s';
const CONCURRENCY = 4;
const OUT = projectPath('docs', 'img', 'dashboard.png');

interface Panel {
  readonly type: string;
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly fieldConfig?: { readonly defaults: { readonly unit: string; readonly custom: { readonly stacking: { readonly mode: string } } } };
  readonly targets?: ReadonlyArray<{ readonly expr: string; readonly legendFormat: string }>;
}

/** What the traffic is doing now; the faults are read by the decorated sources. */
const faults = { crmDown: false, auditDown: false };

function decorate(sources: Sources): Sources {
  const crm = new Proxy(sources.crm, {
    get: (target, property, receiver) =>
      property === 'getMany'
        ? (...args: Parameters<typeof target.getMany>) => (faults.crmDown ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { name: 'MongoNetworkError' })) : target.getMany(...args))
        : Reflect.get(target, property, receiver),
  });
  const singleView = new Proxy(sources.singleView, {
    get: (target, property, receiver) =>
      property === 'appendAudits'
        ? (...args: Parameters<typeof target.appendAudits>) => (faults.auditDown ? Promise.reject(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' })) : target.appendAudits(...args))
        : Reflect.get(target, property, receiver),
  });
  return { ...sources, crm, singleView };
}

async function main(): Promise<void> {
  const config = loadConfig({ C360_DATA_DIR: 'memory', C360_PORT: '0', C360_METRICS_PORT: '0', C360_LOG_LEVEL: 'error', C360_DEMO_CUSTOMERS: '300', C360_BREAKER_HALF_OPEN_MS: '4000',
    // The client address from X-Forwarded-For, so bad credentials come from addresses of their own.
    C360_TRUST_PROXY: 'true',
  });
  const gateway = await createGateway(config, { logger: createLogger('silent'), decorateSources: decorate });
  const url = await gateway.listen();
  const metricsUrl = gateway.metrics!.url!;
  const partner = mintApiKey({ clientName: 'Snapshot partner', scopes: ['customer:read', 'segments:read'], purposes: ['MARKETING'], rateLimitPerMinute: 60 });
  await gateway.services.sources.singleView.putApiKey(partner.record as ApiKeyRecord);
  const customers = generateDemoData({ customers: 300, seed: 360 }).customers;
  const documents = Object.values(JSON.parse(readFileSync(projectPath('config', 'trusted-documents.json'), 'utf8')) as Record<string, string>);
  const byName = (name: string) => documents.find((doc) => doc.includes(`query ${name}`))!;
  const pick = () => customers[Math.floor(Math.random() * customers.length)]!;

  const post = (query: string, variables: Record<string, unknown>, key: string, purpose?: string, address = '192.0.2.1') =>
    fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key, 'x-forwarded-for': address, ...(purpose ? { 'x-c360-purpose': purpose } : {}) },
      body: JSON.stringify({ query, variables }),
    }).then((response) => response.arrayBuffer());
  const requests: Array<() => Promise<unknown>> = [
    () => post(byName('CustomerCard'), { id: pick().id }, 'c360_demo_support', 'support'),
    () => post(byName('CustomerCard'), { id: pick().id }, 'c360_demo_support', 'support'),
    () => post(byName('AgentCustomerByEmail'), { email: pick().profile.email }, 'c360_demo_support', 'support'),
    () => post(byName('PartnerCustomers'), { ids: [pick().id, pick().id, pick().id] }, partner.key, 'marketing'),
    () => post(byName('CustomerCard'), { id: pick().id }, 'c360_demo_marketing', 'marketing'),
    () => post(byName('Segments'), {}, 'c360_demo_analytics'),
    () => post('query Lookup($id: ID!) { customer(id: $id) { id traits { lifetimeValue } } }', { id: pick().id }, 'c360_demo_analytics', 'analytics'),
    // A client with a wrong key now and then, and one address trying keys until the failed-authentication limit refuses it.
    () => post(byName('Segments'), {}, 'c360_wrong.key', undefined, `198.51.100.${Math.floor(Math.random() * 250)}`),
    () => post(byName('Segments'), {}, 'c360_guess.key', undefined, '203.0.113.9'),
  ];

  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const scrapes: Scrape[] = [];
  const scraper = setInterval(() => {
    const at = elapsed();
    void fetch(`${metricsUrl}/metrics`)
      .then((response) => response.text())
      .then((text) => scrapes.push({ at, samples: parseExposition(text).samples }));
  }, SCRAPE_EVERY_MS);
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (elapsed() < DURATION_S) {
      const t = elapsed() / DURATION_S;
      faults.crmDown = t > 0.3 && t < 0.5;
      faults.auditDown = t > 0.62 && t < 0.68;
      await requests[Math.floor(Math.random() * requests.length)]!().catch(() => undefined);
    }
  });
  await Promise.all(workers);
  clearInterval(scraper);
  await new Promise((resolve) => setTimeout(resolve, SCRAPE_EVERY_MS));
  await gateway.close();
  scrapes.sort((a, b) => a.at - b.at);

  const dashboard = JSON.parse(readFileSync(projectPath('deploy', 'grafana', 'c360-dashboard.json'), 'utf8')) as { title: string; panels: Panel[] };
  const svg = render(dashboard, scrapes);
  // The SVG as Chromium paints it (Debian's chromium, driven by playwright-core; see test/support/browser.ts).
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: 600 } });
    await page.setContent(`<!doctype html><html><body style="margin:0;background:#111217">${svg}</body></html>`);
    writeFileSync(OUT, await page.locator('svg').screenshot());
  } finally {
    await browser.close();
  }
  process.stdout.write(`${OUT}: ${dashboard.panels.length} panels from ${scrapes.length} scrapes over ${DURATION_S} s\n`);
}

// ---- Drawing: Grafana's grid (24 columns, 30 px per row unit), its dark theme, one SVG.

const WIDTH = 1800;
const COLUMN = WIDTH / 24;
const ROW = 30;
const PALETTE = ['#73bf69', '#f2cc0c', '#8ab8ff', '#ff780a', '#f2495c', '#5794f2', '#b877d9', '#fade2a', '#37872d', '#c4162a'];

function render(dashboard: { title: string; panels: Panel[] }, scrapes: readonly Scrape[]): string {
  const bottom = Math.max(...dashboard.panels.map((p) => p.gridPos.y + p.gridPos.h));
  const top = 50;
  const height = top + bottom * ROW + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Inter, Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#111217"/>`,
    `<text x="12" y="32" fill="#ccccdc" font-size="20" font-weight="600">${escape(dashboard.title)}</text>`,
    `<text x="${WIDTH - 12}" y="32" fill="#8e8e8e" font-size="12" text-anchor="end">deploy/grafana/c360-dashboard.json, drawn by npm run dashboard:snapshot from ${scrapes.length} scrapes of a real gateway ($__rate_interval = ${RATE_WINDOW})</text>`,
  ];
  for (const panel of dashboard.panels) {
    const x = panel.gridPos.x * COLUMN;
    const y = top + panel.gridPos.y * ROW;
    if (panel.type === 'row') {
      parts.push(`<text x="${x + 12}" y="${y + 20}" fill="#ccccdc" font-size="16" font-weight="600">${escape(panel.title)}</text>`);
      continue;
    }
    parts.push(drawPanel(panel, x + 4, y + 4, panel.gridPos.w * COLUMN - 8, panel.gridPos.h * ROW - 8, scrapes));
  }
  parts.push('</svg>\n');
  return parts.join('\n');
}

function drawPanel(panel: Panel, x: number, y: number, w: number, h: number, scrapes: readonly Scrape[]): string {
  const unit = panel.fieldConfig?.defaults.unit ?? 'short';
  const stacked = panel.fieldConfig?.defaults.custom.stacking.mode === 'normal';
  const lines = seriesOf(panel, scrapes, stacked);
  const plot = { left: x + 64, right: x + w - 12, top: y + 34, bottom: y + h - 58 };
  const start = scrapes[0]?.at ?? 0;
  const end = scrapes.at(-1)?.at ?? 1;
  const max = niceMax(Math.max(0, ...lines.flatMap((line) => line.points.map((p) => p.value))));
  const px = (t: number) => plot.left + ((t - start) / (end - start || 1)) * (plot.right - plot.left);
  const py = (v: number) => plot.bottom - (v / max) * (plot.bottom - plot.top);
  const out = [
    `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="3" fill="#181b1f" stroke="#2c3235"/>`,
    `<text x="${x + 10}" y="${y + 21}" fill="#ccccdc" font-size="13" font-weight="600">${escape(panel.title)}</text>`,
  ];
  for (const fraction of [0, 0.5, 1]) {
    const v = max * fraction;
    out.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${py(v)}" y2="${py(v)}" stroke="#2c3235"/>`);
    out.push(`<text x="${plot.left - 6}" y="${py(v) + 4}" fill="#8e8e8e" font-size="10" text-anchor="end">${formatValue(v, unit)}</text>`);
  }
  for (const t of [start, (start + end) / 2, end]) {
    out.push(`<text x="${px(t)}" y="${plot.bottom + 14}" fill="#8e8e8e" font-size="10" text-anchor="middle">${Math.round(t - start)} s</text>`);
  }
  if (lines.length === 0) out.push(`<text x="${(plot.left + plot.right) / 2}" y="${(plot.top + plot.bottom) / 2}" fill="#8e8e8e" font-size="12" text-anchor="middle">No data</text>`);
  lines.forEach((line, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const segments: string[][] = [[]];
    for (const point of line.points) {
      if (!Number.isFinite(point.value)) {
        segments.push([]);
        continue;
      }
      segments.at(-1)!.push(`${px(point.at).toFixed(1)},${py(point.value).toFixed(1)}`);
    }
    for (const segment of segments.filter((s) => s.length > 0)) out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${segment.join(' ')}"/>`);
  });
  let lx = x + 10;
  let ly = plot.bottom + 32;
  for (const [i, line] of lines.slice(0, 12).entries()) {
    const label = line.legend.length > 34 ? `${line.legend.slice(0, 33)}…` : line.legend;
    const width = 22 + label.length * 6.4;
    if (lx + width > x + w - 6) {
      lx = x + 10;
      ly += 14;
    }
    if (ly > y + h - 4) break;
    out.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${PALETTE[i % PALETTE.length]}"/>`);
    out.push(`<text x="${lx + 14}" y="${ly - 3}" fill="#ccccdc" font-size="10">${escape(label)}</text>`);
    lx += width;
  }
  return out.join('\n');
}

/** Each target evaluated at each scrape, one line per legend; stacked panels add up in legend order. */
function seriesOf(panel: Panel, scrapes: readonly Scrape[], stacked: boolean) {
  const lines = new Map<string, { legend: string; points: Array<{ at: number; value: number }> }>();
  for (const target of panel.targets ?? []) {
    const expr = parsePromQL(target.expr.replaceAll('$__rate_interval', RATE_WINDOW));
    for (const scrape of scrapes) {
      const value = evaluate(expr, scrapes, scrape.at);
      const vector = typeof value === 'number' ? [{ labels: {}, value }] : value;
      for (const series of vector) {
        const legend = target.legendFormat.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, label: string) => series.labels[label] ?? '').trim() || 'value';
        const line = lines.get(legend) ?? { legend, points: [] };
        line.points.push({ at: scrape.at, value: series.value });
        lines.set(legend, line);
      }
    }
  }
  const sorted = [...lines.values()].sort((a, b) => a.legend.localeCompare(b.legend));
  if (!stacked) return sorted;
  const below = new Map<number, number>();
  return sorted.map((line) => ({
    legend: line.legend,
    points: line.points.map((point) => {
      const base = below.get(point.at) ?? 0;
      const value = base + (Number.isFinite(point.value) ? point.value : 0);
      below.set(point.at, value);
      return { at: point.at, value };
    }),
  }));
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function formatValue(value: number, unit: string): string {
  const n = (v: number) => (v === 0 ? '0' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2).replace(/\.?0+$/, ''));
  switch (unit) {
    case 's':
      return value < 1 ? `${n(value * 1000)} ms` : `${n(value)} s`;
    case 'reqps':
      return `${n(value)} req/s`;
    case 'percentunit':
      return `${n(value * 100)}%`;
    case 'bytes':
      return `${n(value / 1024 / 1024)} MiB`;
    default:
      return n(value);
  }
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

main().catch((error: unknown) => {
  process.stderr.write(`dashboard snapshot failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
