import { describe, expect, it } from 'vitest';
import type { SegmentRule, SegmentSpec } from './definitions.js';
import { evaluateMemberships, evaluateRule } from './evaluate.js';
import type { SegmentFacts } from './evaluate.js';

const NOW = new Date('2026-11-15T12:00:00.000Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString();

const facts = (over: Partial<SegmentFacts> = {}): SegmentFacts => ({
  traits: { orderCount: 2, lifetimeValue: 480, firstSeenAt: minutesAgo(10_000), lastSeenAt: minutesAgo(5) },
  consents: [{ purpose: 'MARKETING', status: 'GRANTED', updatedAt: minutesAgo(100), source: 'test' }],
  lastEventAt: { 'Product Added': minutesAgo(90), 'Email Opened': minutesAgo(5) },
  ...over,
});

const abandoned: SegmentRule = { type: 'eventNotFollowedBy', event: 'Product Added', notFollowedBy: 'Order Completed', minutes: 60, lookbackMinutes: 1440 };

describe('evaluateRule', () => {
  const rows: Array<[string, SegmentRule, SegmentFacts, { match: boolean; since?: string }]> = [
    ['trait gte below', { type: 'trait', trait: 'lifetimeValue', op: 'gte', value: 500 }, facts(), { match: false }],
    ['trait gte at', { type: 'trait', trait: 'lifetimeValue', op: 'gte', value: 480 }, facts(), { match: true }],
    ['trait lt', { type: 'trait', trait: 'orderCount', op: 'lt', value: 3 }, facts(), { match: true }],
    ['trait eq', { type: 'trait', trait: 'orderCount', op: 'eq', value: 2 }, facts(), { match: true }],
    ['time trait gt', { type: 'trait', trait: 'firstSeenAt', op: 'gt', value: '2026-01-01T00:00:00Z' }, facts(), { match: true }],
    ['missing trait neq', { type: 'trait', trait: 'lifetimeValue', op: 'neq', value: 1 }, facts({ traits: { orderCount: 0 } }), { match: true }],
    ['missing trait gte', { type: 'trait', trait: 'lifetimeValue', op: 'gte', value: 0 }, facts({ traits: { orderCount: 0 } }), { match: false }],
    ['event within', { type: 'eventWithin', event: 'Email Opened', minutes: 10 }, facts(), { match: true, since: minutesAgo(5) }],
    ['event too old', { type: 'eventWithin', event: 'Email Opened', minutes: 4 }, facts(), { match: false }],
    ['any event', { type: 'eventWithin', event: '*', minutes: 10 }, facts(), { match: true, since: minutesAgo(5) }],
    ['event never seen', { type: 'eventWithin', event: 'Order Completed', minutes: 10_000 }, facts(), { match: false }],
    ['abandoned cart after an hour', abandoned, facts(), { match: true, since: minutesAgo(30) }],
    ['cart too fresh', abandoned, facts({ lastEventAt: { 'Product Added': minutesAgo(59) } }), { match: false }],
    ['cart older than the lookback', abandoned, facts({ lastEventAt: { 'Product Added': minutesAgo(1441) } }), { match: false }],
    ['ordered after adding', abandoned, facts({ lastEventAt: { 'Product Added': minutesAgo(90), 'Order Completed': minutesAgo(80) } }), { match: false }],
    ['ordered before adding again', abandoned, facts({ lastEventAt: { 'Product Added': minutesAgo(90), 'Order Completed': minutesAgo(200) } }), { match: true, since: minutesAgo(30) }],
    ['consent granted', { type: 'consent', purpose: 'MARKETING', status: 'GRANTED' }, facts(), { match: true }],
    ['consent absent', { type: 'consent', purpose: 'ANALYTICS', status: 'GRANTED' }, facts(), { match: false }],
    [
      'all: latest since',
      { type: 'all', rules: [{ type: 'eventWithin', event: 'Email Opened', minutes: 10 }, abandoned] },
      facts(),
      { match: true, since: minutesAgo(5) },
    ],
    ['any: earliest since', { type: 'any', rules: [{ type: 'eventWithin', event: 'Email Opened', minutes: 10 }, abandoned] }, facts(), { match: true, since: minutesAgo(30) }],
    ['not', { type: 'not', rule: { type: 'consent', purpose: 'MARKETING', status: 'GRANTED' } }, facts(), { match: false }],
  ];
  it.each(rows)('%s', (_name, rule, input, expected) => {
    expect(evaluateRule(rule, input, NOW)).toEqual(expected);
  });
});

describe('evaluateMemberships', () => {
  const spec = (id: string, rule: SegmentRule): SegmentSpec => ({ id, name: id, realtime: true, rule });
  const specs = [spec('engaged', { type: 'eventWithin', event: 'Email Opened', minutes: 10 }), spec('buyer', { type: 'trait', trait: 'orderCount', op: 'gte', value: 3 })];

  it('keeps since for a customer who stays, stamps it for one who enters, drops one who leaves, keeps segments not evaluated', () => {
    const previous = [
      { segmentId: 'engaged', since: '2026-11-01T00:00:00.000Z' },
      { segmentId: 'buyer', since: '2026-11-02T00:00:00.000Z' },
      { segmentId: 'batch_only', since: '2026-11-03T00:00:00.000Z' },
    ];
    expect(evaluateMemberships(specs, facts(), previous, NOW)).toEqual([
      { segmentId: 'batch_only', since: '2026-11-03T00:00:00.000Z' },
      { segmentId: 'engaged', since: '2026-11-01T00:00:00.000Z' },
    ]);
    expect(evaluateMemberships(specs, facts({ traits: { orderCount: 3, lastSeenAt: minutesAgo(1) } }), [], NOW)).toEqual([
      { segmentId: 'engaged', since: minutesAgo(5) },
      { segmentId: 'buyer', since: NOW.toISOString() },
    ]);
  });
});
