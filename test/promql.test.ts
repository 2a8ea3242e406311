import { describe, expect, it } from 'vitest';
import { evaluate, parsePromQL, selectorsOf } from '../scripts/dashboard/promql.js';
import type { Scrape } from '../scripts/dashboard/promql.js';

/**
 * The part of PromQL the dashboard and the alert rules use
 * (scripts/dashboard/promql.ts): what test/metrics.test.ts reads their
 * selectors with, and what draws docs/img/dashboard.png.
 */
const scrapes: Scrape[] = [
  {
    at: 0,
    samples: [
      { name: 'calls_total', labels: { source: 'crm', operation: 'getMany' }, value: 100 },
      { name: 'calls_total', labels: { source: 'loyalty', operation: 'getMany' }, value: 50 },
      { name: 'errors_total', labels: { source: 'crm', operation: 'getMany', kind: 'timeout' }, value: 0 },
      { name: 'seconds_bucket', labels: { le: '0.1' }, value: 0 },
      { name: 'seconds_bucket', labels: { le: '0.5' }, value: 0 },
      { name: 'seconds_bucket', labels: { le: '+Inf' }, value: 0 },
      { name: 'circuit', labels: { source: 'crm', state: 'open' }, value: 0 },
    ],
  },
  {
    at: 10,
    samples: [
      { name: 'calls_total', labels: { source: 'crm', operation: 'getMany' }, value: 200 },
      { name: 'calls_total', labels: { source: 'loyalty', operation: 'getMany' }, value: 70 },
      { name: 'errors_total', labels: { source: 'crm', operation: 'getMany', kind: 'timeout' }, value: 25 },
      { name: 'seconds_bucket', labels: { le: '0.1' }, value: 50 },
      { name: 'seconds_bucket', labels: { le: '0.5' }, value: 90 },
      { name: 'seconds_bucket', labels: { le: '+Inf' }, value: 100 },
      { name: 'circuit', labels: { source: 'crm', state: 'open' }, value: 1 },
    ],
  },
];
const at = (expr: string) => evaluate(parsePromQL(expr), scrapes, 10);

describe('the PromQL part the dashboard uses', () => {
  it('rate and increase over a window, summed by labels', () => {
    expect(at('sum by (source) (rate(calls_total[1m]))')).toEqual([
      { labels: { source: 'crm' }, value: 10 },
      { labels: { source: 'loyalty' }, value: 2 },
    ]);
    expect(at('sum(increase(calls_total{source="crm"}[1m]))')).toEqual([{ labels: {}, value: 600 }]);
    expect(at('sum without (operation) (rate(calls_total{source=~"loy.*"}[1m]))')).toEqual([{ labels: { source: 'loyalty' }, value: 2 }]);
  });

  it('divides vectors with the same labels, and compares with a number (an alert\'s threshold)', () => {
    expect(at('sum by (source) (rate(errors_total[1m])) / sum by (source) (rate(calls_total[1m]))')).toEqual([{ labels: { source: 'crm' }, value: 0.25 }]);
    expect(at('sum by (source) (rate(errors_total[1m])) / sum by (source) (rate(calls_total[1m])) > 0.3')).toEqual([]);
    expect(at('max by (source) (circuit{state!="closed"}) > 0')).toEqual([{ labels: { source: 'crm' }, value: 1 }]);
  });

  it('histogram_quantile as Prometheus interpolates inside a bucket', () => {
    // 50 of 100 at or under 0.1 s, 90 at or under 0.5 s: the 0.7 quantile is 20/40 of the way from 0.1 to 0.5.
    const [p70] = at('histogram_quantile(0.7, sum by (le) (rate(seconds_bucket[1m])))') as Array<{ labels: object; value: number }>;
    expect(p70?.labels).toEqual({});
    expect(p70?.value).toBeCloseTo(0.3, 12);
    expect(at('histogram_quantile(0.99, sum by (le) (rate(seconds_bucket[1m])))')).toEqual([{ labels: {}, value: 0.5 }]);
  });

  it('lists the selectors an expression reads', () => {
    const selectors = selectorsOf(parsePromQL('sum by (source, kind) (rate(c360_source_errors_total{kind=~"circuit_open|overloaded"}[5m])) / on_nothing'));
    expect(selectors.map((s) => [s.name, s.matchers])).toEqual([
      ['c360_source_errors_total', [{ label: 'kind', op: '=~', value: 'circuit_open|overloaded' }]],
      ['on_nothing', []],
    ]);
  });

  it('refuses what it does not implement, naming it, rather than reading it wrongly', () => {
    expect(() => parsePromQL('quantile_over_time(0.9, x[5m])')).toThrow('function quantile_over_time is not in the supported part');
    expect(() => parsePromQL('sum(rate(x[5m])')).toThrow('PromQL: unexpected end');
    expect(() => parsePromQL('x{a=b}')).toThrow('expected a quoted label value');
  });
});
