import { describe, expect, it } from 'vitest';
import type { SegmentRule, SegmentSpec } from './definitions.js';
import { nextMembershipChange, nextSegmentChange } from './due.js';
import { evaluateRule } from './evaluate.js';
import type { SegmentFacts } from './evaluate.js';

const NOW = new Date('2026-11-15T12:00:00.000Z');
const MINUTE = 60_000;
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * MINUTE).toISOString();
const at = (minutesFromNow: number, ms = 0) => new Date(NOW.getTime() + minutesFromNow * MINUTE + ms);
const spec = (rule: SegmentRule, id = 'one'): SegmentSpec => ({ id, name: id, realtime: true, rule });
const facts = (lastEventAt: Record<string, string>, over: Partial<SegmentFacts> = {}): SegmentFacts => ({
  traits: { orderCount: 0, lastSeenAt: Object.values(lastEventAt).sort().at(-1) ?? null },
  consents: [],
  lastEventAt,
  ...over,
});

const abandoned: SegmentRule = { type: 'eventNotFollowedBy', event: 'Product Added', notFollowedBy: 'Order Completed', minutes: 60, lookbackMinutes: 1440 };

describe('nextSegmentChange', () => {
  const rows: Array<[string, SegmentRule, SegmentFacts, Date | undefined]> = [
    ['eventWithin: the window closes one millisecond after last + minutes', { type: 'eventWithin', event: 'Email Opened', minutes: 10 }, facts({ 'Email Opened': minutesAgo(4) }), at(6, 1)],
    ['eventWithin on any event reads lastSeenAt', { type: 'eventWithin', event: '*', minutes: 30 }, facts({ X: minutesAgo(10) }), at(20, 1)],
    ['eventWithin already closed: nothing changes without a write', { type: 'eventWithin', event: 'Email Opened', minutes: 10 }, facts({ 'Email Opened': minutesAgo(11) }), undefined],
    ['no event yet: nothing', { type: 'eventWithin', event: 'Email Opened', minutes: 10 }, facts({}), undefined],
    ['abandoned cart: enters at added + minutes', abandoned, facts({ 'Product Added': minutesAgo(20) }), at(40)],
    ['abandoned cart: in, leaves when the lookback closes', abandoned, facts({ 'Product Added': minutesAgo(100) }), at(1340, 1)],
    ['abandoned cart followed by an order: nothing', abandoned, facts({ 'Product Added': minutesAgo(20), 'Order Completed': minutesAgo(10) }), undefined],
    ['trait and consent rules: only a write changes them', { type: 'trait', trait: 'lastSeenAt', op: 'gte', value: '2026-11-15T12:30:00Z' }, facts({ X: minutesAgo(1) }), undefined],
    [
      'all: the first threshold that changes the combination',
      { type: 'all', rules: [{ type: 'eventWithin', event: 'A', minutes: 10 }, { type: 'eventWithin', event: 'B', minutes: 100 }] },
      facts({ A: minutesAgo(5), B: minutesAgo(5) }),
      at(5, 1),
    ],
    [
      'any: a threshold that changes nothing is skipped',
      { type: 'any', rules: [{ type: 'eventWithin', event: 'A', minutes: 10 }, { type: 'eventWithin', event: 'B', minutes: 100 }] },
      facts({ A: minutesAgo(5), B: minutesAgo(5) }),
      at(95, 1),
    ],
    ['not: the inner change, inverted', { type: 'not', rule: { type: 'eventWithin', event: 'A', minutes: 10 } }, facts({ A: minutesAgo(5) }), at(5, 1)],
  ];
  it.each(rows)('%s', (_name, rule, input, expected) => {
    expect(nextSegmentChange(spec(rule), input, NOW)).toEqual(expected);
  });

  it('is exact: the answer is the same until the due time and differs from it on, for a grid of facts', () => {
    const rules: SegmentRule[] = [
      abandoned,
      { type: 'eventWithin', event: 'Product Added', minutes: 45 },
      { type: 'any', rules: [abandoned, { type: 'eventWithin', event: 'Order Completed', minutes: 90 }] },
      { type: 'all', rules: [{ type: 'not', rule: abandoned }, { type: 'eventWithin', event: '*', minutes: 120 }] },
    ];
    let checked = 0;
    for (const rule of rules) {
      for (const added of [1, 30, 59, 60, 61, 200, 1439, 1441]) {
        for (const ordered of [undefined, 0, 10, 100, 2000]) {
          const input = facts(ordered === undefined ? { 'Product Added': minutesAgo(added) } : { 'Product Added': minutesAgo(added), 'Order Completed': minutesAgo(ordered) });
          const due = nextSegmentChange(spec(rule), input, NOW);
          const before = evaluateRule(rule, input, NOW).match;
          // Sample the time before the due time (or two days when none): the answer never changes there.
          const end = due ? due.getTime() : NOW.getTime() + 2 * 1440 * MINUTE;
          for (let t = NOW.getTime(); t < end; t += 7 * MINUTE) expect(evaluateRule(rule, input, new Date(t)).match).toBe(before);
          expect(evaluateRule(rule, input, new Date(end - 1)).match).toBe(before);
          if (due) expect(evaluateRule(rule, input, due).match).toBe(!before);
          checked += 1;
        }
      }
    }
    expect(checked).toBe(4 * 8 * 5);
  });
});

describe('nextMembershipChange', () => {
  it('is the earliest change over all segments, or undefined when none changes with time', () => {
    const specs = [spec({ type: 'eventWithin', event: 'A', minutes: 100 }, 'slow'), spec({ type: 'eventWithin', event: 'A', minutes: 10 }, 'fast')];
    expect(nextMembershipChange(specs, facts({ A: minutesAgo(5) }), NOW)).toEqual(at(5, 1));
    expect(nextMembershipChange(specs, facts({ A: minutesAgo(50) }), NOW)).toEqual(at(50, 1));
    expect(nextMembershipChange(specs, facts({ A: minutesAgo(500) }), NOW)).toBeUndefined();
  });
});
