/**
 * The precision–recall chart of bench/README.md: one line per data set for
 * the matcher (its clusters at thresholds from 2^-40 to 2^40 odds), one
 * marker per deterministic rule set. Two panels: the whole square, and the
 * corner where the matcher's lines are.
 */
export interface CurvePoint {
  readonly threshold: number;
  readonly precision: number;
  readonly recall: number;
}

export interface ChartSeries {
  readonly label: string;
  readonly color: string;
  readonly curve?: readonly CurvePoint[] | undefined;
  readonly point?: { readonly precision: number; readonly recall: number } | undefined;
  /** The point the default threshold gives, circled on the curve. */
  readonly marked?: CurvePoint | undefined;
  /** Dashed, so a line lying on another still shows. */
  readonly dashed?: boolean | undefined;
}

const SIZE = 300;
const MARGIN = { left: 50, right: 16, top: 30, bottom: 40 };

export function precisionRecallChart(series: readonly ChartSeries[], zoomFrom: number): string {
  const width = 2 * (SIZE + MARGIN.left + MARGIN.right);
  const legendTop = SIZE + MARGIN.top + MARGIN.bottom + 8;
  const height = legendTop + series.length * 16 + 8;
  const legend = series.map((s, i) => {
    const y = legendTop + i * 16;
    const mark = s.curve ? `<line x1="10" y1="${y}" x2="32" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>` : `<rect x="17" y="${y - 4}" width="8" height="8" fill="${s.color}"/>`;
    return `${mark}<text x="38" y="${y + 4}">${escape(s.label)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    panel(series, 0, 0, 'precision vs recall (pairs)'),
    panel(series, SIZE + MARGIN.left + MARGIN.right, zoomFrom, `zoomed: ${zoomFrom} to 1`),
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}

function panel(series: readonly ChartSeries[], x0: number, from: number, title: string): string {
  const span = 1 - from;
  const inside = (v: number) => v >= from - 1e-9;
  const xOf = (recall: number) => MARGIN.left + ((recall - from) / span) * SIZE;
  const yOf = (precision: number) => MARGIN.top + SIZE - ((precision - from) / span) * SIZE;
  const parts = [`<g transform="translate(${x0},0)">`, `<text x="${MARGIN.left}" y="18" font-size="13" font-weight="bold">${escape(title)}</text>`];
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${SIZE}" height="${SIZE}" fill="none" stroke="#d0d7de"/>`);
  for (let i = 0; i <= 5; i++) {
    const v = from + (span * i) / 5;
    const label = v.toFixed(from > 0 ? 3 : 1);
    parts.push(`<line x1="${xOf(v)}" y1="${MARGIN.top}" x2="${xOf(v)}" y2="${MARGIN.top + SIZE}" stroke="#eaeef2"/><text x="${xOf(v)}" y="${MARGIN.top + SIZE + 14}" text-anchor="middle">${label}</text>`);
    parts.push(`<line x1="${MARGIN.left}" y1="${yOf(v)}" x2="${MARGIN.left + SIZE}" y2="${yOf(v)}" stroke="#eaeef2"/><text x="${MARGIN.left - 4}" y="${yOf(v) + 4}" text-anchor="end">${label}</text>`);
  }
  parts.push(`<text x="${MARGIN.left + SIZE / 2}" y="${MARGIN.top + SIZE + 30}" text-anchor="middle">recall</text>`);
  parts.push(`<text x="12" y="${MARGIN.top + SIZE / 2}" text-anchor="middle" transform="rotate(-90 12 ${MARGIN.top + SIZE / 2})">precision</text>`);
  for (const s of series) {
    if (s.curve) {
      const points = s.curve.filter((p) => inside(p.recall) && inside(p.precision)).map((p) => `${xOf(p.recall).toFixed(1)},${yOf(p.precision).toFixed(1)}`);
      if (points.length > 0) parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    }
    if (s.marked && inside(s.marked.recall) && inside(s.marked.precision)) parts.push(`<circle cx="${xOf(s.marked.recall).toFixed(1)}" cy="${yOf(s.marked.precision).toFixed(1)}" r="4" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    if (s.point && inside(s.point.recall) && inside(s.point.precision)) parts.push(`<rect x="${(xOf(s.point.recall) - 4).toFixed(1)}" y="${(yOf(s.point.precision) - 4).toFixed(1)}" width="8" height="8" fill="${s.color}"/>`);
  }
  parts.push('</g>');
  return parts.join('');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
