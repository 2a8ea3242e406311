import { describe, expect, it } from 'vitest';
import { loadSegmentFile, parseSegmentFile } from './definitions.js';

const segment = (rule: unknown, extra: Record<string, unknown> = {}) => ({ segments: [{ id: 'one', name: 'One', realtime: true, rule, ...extra }] });

describe('segment file validation', () => {
  it('accepts the bundled file', () => {
    expect(loadSegmentFile().segments.map((s) => s.id)).toEqual([
      'high_value',
      'frequent_buyer',
      'recently_active',
      'email_engaged',
      'abandoned_cart',
      'marketing_reachable',
    ]);
  });

  const rows: Array<[string, unknown, string]> = [
    ['a missing rule', { segments: [{ id: 'one', name: 'One', realtime: true }] }, 'segments.0.rule'],
    ['an unknown rule type', segment({ type: 'sometimes' }), 'segments.0.rule'],
    ['a numeric trait compared with text', segment({ type: 'trait', trait: 'orderCount', op: 'gte', value: 'many' }), 'segments.0.rule'],
    ['a time trait compared with a number', segment({ type: 'trait', trait: 'lastSeenAt', op: 'gte', value: 5 }), 'segments.0.rule'],
    ['a window of zero minutes', segment({ type: 'eventWithin', event: 'X', minutes: 0 }), 'segments.0.rule'],
    ['a lookback shorter than the wait', segment({ type: 'eventNotFollowedBy', event: 'X', notFollowedBy: 'Y', minutes: 60, lookbackMinutes: 30 }), 'segments.0.rule'],
    ['an unknown purpose', segment({ type: 'consent', purpose: 'SPAM', status: 'GRANTED' }), 'segments.0.rule'],
    ['an empty all', segment({ type: 'all', rules: [] }), 'segments.0.rule'],
    ['a bad id', { segments: [{ id: 'Bad Id', name: 'x', realtime: true, rule: { type: 'eventWithin', event: '*', minutes: 1 } }] }, 'segments.0.id'],
    ['an unknown field', segment({ type: 'eventWithin', event: '*', minutes: 1 }, { colour: 'red' }), 'segments.0'],
    [
      'a duplicate id',
      { segments: [0, 1].map(() => ({ id: 'one', name: 'One', realtime: true, rule: { type: 'eventWithin', event: '*', minutes: 1 } })) },
      'segments.1.id',
    ],
  ];
  it.each(rows)('refuses %s, naming where', (_name, raw, path) => {
    expect(() => parseSegmentFile(raw, 'test.json')).toThrow(new RegExp(`Segment file test.json is invalid:\\n(.|\\n)*  ${path.replace(/\./g, '\\.')}`));
  });
});
