/**
 * The part of PromQL that deploy/grafana/c360-dashboard.json and
 * deploy/prometheus/c360-rules.yaml use, parsed and evaluated over scrapes
 * of the gateway's /metrics: selectors with label matchers and ranges,
 * rate/increase, histogram_quantile, sum/max/min/avg/count by or without
 * labels, and arithmetic and comparison between vectors and numbers.
 * test/metrics.test.ts parses every expression of both files with it (an
 * expression outside this part fails there), and
 * scripts/dashboard-snapshot.ts draws the dashboard's panels with it.
 * Simplifications against Prometheus, which matter for a picture but not
 * for which series an expression reads: rate() takes the first and last
 * sample in its window without extrapolation, and an instant selector reads
 * the latest scrape.
 */

export interface Matcher {
  readonly label: string;
  readonly op: '=' | '!=' | '=~' | '!~';
  readonly value: string;
}

export type Expr =
  | { readonly type: 'selector'; readonly name: string; readonly matchers: readonly Matcher[]; readonly rangeSeconds?: number }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'call'; readonly fn: string; readonly args: readonly Expr[] }
  | { readonly type: 'aggregate'; readonly op: string; readonly by?: readonly string[]; readonly without?: readonly string[]; readonly expr: Expr }
  | { readonly type: 'binary'; readonly op: string; readonly lhs: Expr; readonly rhs: Expr };

const AGGREGATIONS = new Set(['sum', 'max', 'min', 'avg', 'count']);
const FUNCTIONS = new Set(['rate', 'increase', 'histogram_quantile', 'abs']);
const PRECEDENCE: Record<string, number> = { '==': 1, '!=': 1, '>': 1, '<': 1, '>=': 1, '<=': 1, '+': 2, '-': 2, '*': 3, '/': 3 };
const DURATION = /^(\d+)(ms|s|m|h|d)$/;
const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

type Token = { readonly kind: 'ident' | 'number' | 'string' | 'punct' | 'duration'; readonly text: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  const rest = () => source.slice(at);
  while (at < source.length) {
    const char = source[at]!;
    if (/\s/.test(char)) {
      at += 1;
      continue;
    }
    let match: RegExpExecArray | null;
    if (tokens.at(-1)?.text === '[' && (match = /^\d+(ms|s|m|h|d)/.exec(rest()))) tokens.push({ kind: 'duration', text: match[0] });
    else if ((match = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rest()))) tokens.push({ kind: 'ident', text: match[0] });
    else if ((match = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(rest()))) tokens.push({ kind: 'number', text: match[0] });
    else if ((match = /^"((?:[^"\\]|\\.)*)"/.exec(rest()))) tokens.push({ kind: 'string', text: match[1]!.replace(/\\(.)/g, '$1') });
    else if ((match = /^(=~|!~|!=|==|>=|<=|[{}()[\],=+\-*/<>])/.exec(rest()))) tokens.push({ kind: 'punct', text: match[0] });
    else throw new Error(`PromQL: unexpected "${rest().slice(0, 20)}"`);
    at += match[0].length;
  }
  return tokens;
}

/** Parses one expression; throws naming what it could not read. */
export function parsePromQL(source: string): Expr {
  const tokens = tokenize(source);
  let at = 0;
  const peek = () => tokens[at];
  const next = () => {
    const token = tokens[at++];
    if (!token) throw new Error(`PromQL: unexpected end of "${source}"`);
    return token;
  };
  const expect = (text: string) => {
    const token = next();
    if (token.text !== text) throw new Error(`PromQL: expected "${text}" but found "${token.text}" in "${source}"`);
  };
  const labelList = (): string[] => {
    expect('(');
    const labels: string[] = [];
    while (peek()?.text !== ')') {
      labels.push(next().text);
      if (peek()?.text === ',') next();
    }
    expect(')');
    return labels;
  };

  function binary(minPrecedence: number): Expr {
    let lhs = unary();
    for (;;) {
      const op = peek()?.text;
      const precedence = op === undefined ? undefined : PRECEDENCE[op];
      if (precedence === undefined || precedence < minPrecedence || peek()!.kind !== 'punct') return lhs;
      next();
      const rhs = binary(precedence + 1);
      lhs = { type: 'binary', op: op!, lhs, rhs };
    }
  }

  function unary(): Expr {
    const token = next();
    if (token.kind === 'number') return { type: 'number', value: Number(token.text) };
    if (token.text === '(') {
      const inner = binary(0);
      expect(')');
      return inner;
    }
    if (token.kind !== 'ident') throw new Error(`PromQL: unexpected "${token.text}" in "${source}"`);
    if (AGGREGATIONS.has(token.text)) return aggregate(token.text);
    if (FUNCTIONS.has(token.text) && peek()?.text === '(') {
      next();
      const args: Expr[] = [];
      while (peek()?.text !== ')') {
        args.push(binary(0));
        if (peek()?.text === ',') next();
      }
      expect(')');
      return { type: 'call', fn: token.text, args };
    }
    if (peek()?.text === '(') throw new Error(`PromQL: function ${token.text} is not in the supported part (scripts/dashboard/promql.ts)`);
    return selector(token.text);
  }

  function aggregate(op: string): Expr {
    let by: string[] | undefined;
    let without: string[] | undefined;
    const grouping = () => {
      if (peek()?.text === 'by') {
        next();
        by = labelList();
      } else if (peek()?.text === 'without') {
        next();
        without = labelList();
      }
    };
    grouping();
    expect('(');
    const expr = binary(0);
    expect(')');
    grouping();
    return { type: 'aggregate', op, ...(by ? { by } : {}), ...(without ? { without } : {}), expr };
  }

  function selector(name: string): Expr {
    const matchers: Matcher[] = [];
    if (peek()?.text === '{') {
      next();
      while (peek()?.text !== '}') {
        const label = next().text;
        const op = next().text as Matcher['op'];
        if (!['=', '!=', '=~', '!~'].includes(op)) throw new Error(`PromQL: bad matcher operator "${op}" in "${source}"`);
        const value = next();
        if (value.kind !== 'string') throw new Error(`PromQL: expected a quoted label value in "${source}"`);
        matchers.push({ label, op, value: value.text });
        if (peek()?.text === ',') next();
      }
      expect('}');
    }
    if (peek()?.text !== '[') return { type: 'selector', name, matchers };
    next();
    const duration = DURATION.exec(next().text);
    if (!duration) throw new Error(`PromQL: bad range in "${source}"`);
    expect(']');
    return { type: 'selector', name, matchers, rangeSeconds: Number(duration[1]) * UNIT_SECONDS[duration[2]!]! };
  }

  const expr = binary(0);
  if (at !== tokens.length) throw new Error(`PromQL: unexpected "${tokens[at]!.text}" in "${source}"`);
  return expr;
}

/** Every selector in an expression: the metric names and label matchers it reads. */
export function selectorsOf(expr: Expr): Array<Extract<Expr, { type: 'selector' }>> {
  switch (expr.type) {
    case 'selector':
      return [expr];
    case 'number':
      return [];
    case 'call':
      return expr.args.flatMap(selectorsOf);
    case 'aggregate':
      return selectorsOf(expr.expr);
    case 'binary':
      return [...selectorsOf(expr.lhs), ...selectorsOf(expr.rhs)];
  }
}

export type Labels = Readonly<Record<string, string>>;
export interface Series {
  readonly labels: Labels;
  readonly value: number;
}
/** One scrape at a time in seconds: samples by name with their labels. */
export interface Scrape {
  readonly at: number;
  readonly samples: ReadonlyArray<{ readonly name: string; readonly labels: Labels; readonly value: number }>;
}

type Value = number | Series[];

function matches(labels: Labels, matchers: readonly Matcher[]): boolean {
  return matchers.every(({ label, op, value }) => {
    const actual = labels[label] ?? '';
    switch (op) {
      case '=':
        return actual === value;
      case '!=':
        return actual !== value;
      case '=~':
        return new RegExp(`^(?:${value})$`).test(actual);
      case '!~':
        return !new RegExp(`^(?:${value})$`).test(actual);
    }
  });
}

const keyOf = (labels: Labels) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

/** The value of `expr` at time `at` over the scrapes (sorted by time). */
export function evaluate(expr: Expr, scrapes: readonly Scrape[], at: number): Value {
  switch (expr.type) {
    case 'number':
      return expr.value;
    case 'selector': {
      if (expr.rangeSeconds !== undefined) throw new Error('PromQL: a range selector outside rate() or increase()');
      const latest = scrapes.filter((scrape) => scrape.at <= at).at(-1);
      return (latest?.samples ?? []).filter((s) => s.name === expr.name && matches(s.labels, expr.matchers)).map((s) => ({ labels: s.labels, value: s.value }));
    }
    case 'call':
      return call(expr.fn, expr.args, scrapes, at);
    case 'aggregate':
      return aggregate(expr, asVector(evaluate(expr.expr, scrapes, at)));
    case 'binary':
      return binaryOp(expr.op, evaluate(expr.lhs, scrapes, at), evaluate(expr.rhs, scrapes, at));
  }
}

function asVector(value: Value): Series[] {
  if (typeof value === 'number') throw new Error('PromQL: expected a vector');
  return value;
}

function call(fn: string, args: readonly Expr[], scrapes: readonly Scrape[], at: number): Value {
  if (fn === 'rate' || fn === 'increase') {
    const range = args[0];
    if (range?.type !== 'selector' || range.rangeSeconds === undefined) throw new Error(`PromQL: ${fn}() needs a range selector`);
    const window = scrapes.filter((scrape) => scrape.at <= at && scrape.at > at - range.rangeSeconds!);
    const points = new Map<string, { labels: Labels; first: { at: number; value: number }; last: { at: number; value: number } }>();
    for (const scrape of window) {
      for (const sample of scrape.samples) {
        if (sample.name !== range.name || !matches(sample.labels, range.matchers)) continue;
        const key = keyOf(sample.labels);
        const point = { at: scrape.at, value: sample.value };
        const known = points.get(key);
        if (known) known.last = point;
        else points.set(key, { labels: sample.labels, first: point, last: point });
      }
    }
    return [...points.values()]
      .filter(({ first, last }) => last.at > first.at)
      .map(({ labels, first, last }) => {
        const perSecond = Math.max(0, last.value - first.value) / (last.at - first.at);
        return { labels, value: fn === 'rate' ? perSecond : perSecond * range.rangeSeconds! };
      });
  }
  if (fn === 'abs') return asVector(evaluate(args[0]!, scrapes, at)).map((s) => ({ labels: s.labels, value: Math.abs(s.value) }));
  const q = evaluate(args[0]!, scrapes, at);
  if (typeof q !== 'number') throw new Error('PromQL: histogram_quantile() needs a number first');
  return histogramQuantile(q, asVector(evaluate(args[1]!, scrapes, at)));
}

function aggregate(expr: Extract<Expr, { type: 'aggregate' }>, vector: Series[]): Series[] {
  const groups = new Map<string, { labels: Labels; values: number[] }>();
  for (const series of vector) {
    const kept = (label: string) => (expr.by ? expr.by.includes(label) : expr.without ? !expr.without.includes(label) : false);
    const labels = Object.fromEntries(Object.entries(series.labels).filter(([label]) => kept(label)));
    const key = keyOf(labels);
    const group = groups.get(key) ?? { labels, values: [] };
    group.values.push(series.value);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ labels, values }) => ({ labels, value: reduce(expr.op, values) }));
}

function reduce(op: string, values: readonly number[]): number {
  switch (op) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    default:
      return values.length;
  }
}

function apply(op: string, a: number, b: number): number | undefined {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '>':
      return a > b ? a : undefined;
    case '<':
      return a < b ? a : undefined;
    case '>=':
      return a >= b ? a : undefined;
    case '<=':
      return a <= b ? a : undefined;
    case '==':
      return a === b ? a : undefined;
    default:
      return a !== b ? a : undefined;
  }
}

/** Vector and number element-wise; two vectors one-to-one on equal label sets (the dashboard divides aggregates with the same grouping). */
function binaryOp(op: string, lhs: Value, rhs: Value): Value {
  if (typeof lhs === 'number' && typeof rhs === 'number') return apply(op, lhs, rhs) ?? Number.NaN;
  const out: Series[] = [];
  if (typeof rhs === 'number' || typeof lhs === 'number') {
    for (const series of typeof lhs === 'number' ? (rhs as Series[]) : lhs) {
      const value = typeof lhs === 'number' ? apply(op, lhs, series.value) : apply(op, series.value, rhs as number);
      if (value !== undefined) out.push({ labels: series.labels, value });
    }
    return out;
  }
  const right = new Map(rhs.map((series) => [keyOf(series.labels), series.value]));
  for (const series of lhs) {
    const other = right.get(keyOf(series.labels));
    if (other === undefined) continue;
    const value = apply(op, series.value, other);
    if (value !== undefined) out.push({ labels: series.labels, value });
  }
  return out;
}

/** Prometheus's algorithm: the bucket the rank falls in, linear inside it. */
function histogramQuantile(q: number, buckets: Series[]): Series[] {
  const groups = new Map<string, { labels: Labels; buckets: Array<{ le: number; count: number }> }>();
  for (const series of buckets) {
    const { le, ...labels } = series.labels;
    if (le === undefined) continue;
    const key = keyOf(labels);
    const group = groups.get(key) ?? { labels, buckets: [] };
    group.buckets.push({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), count: series.value });
    groups.set(key, group);
  }
  const out: Series[] = [];
  for (const { labels, buckets: sorted } of groups.values()) {
    sorted.sort((a, b) => a.le - b.le);
    const totalCount = sorted.at(-1)?.count ?? 0;
    if (totalCount === 0) continue;
    const rank = q * totalCount;
    const index = sorted.findIndex((bucket) => bucket.count >= rank);
    const bucket = sorted[index]!;
    if (bucket.le === Number.POSITIVE_INFINITY) {
      out.push({ labels, value: sorted.at(-2)?.le ?? 0 });
      continue;
    }
    const lower = index > 0 ? sorted[index - 1]! : { le: 0, count: 0 };
    const inBucket = bucket.count - lower.count;
    out.push({ labels, value: inBucket === 0 ? bucket.le : lower.le + ((bucket.le - lower.le) * (rank - lower.count)) / inBucket });
  }
  return out;
}
