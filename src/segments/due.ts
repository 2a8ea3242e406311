import type { SegmentRule, SegmentSpec } from './definitions.js';
import { evaluateRule } from './evaluate.js';
import type { SegmentFacts } from './evaluate.js';

const MINUTE = 60_000;

/**
 * The instants at which a rule's answer may change with time alone (no
 * write): when an `eventWithin` window closes, when an `eventNotFollowedBy`
 * wait ends and when its lookback closes. The answer is constant between two
 * of them, so checking each in order finds the first real change.
 */
function thresholds(rule: SegmentRule, facts: SegmentFacts, into: number[]): void {
  switch (rule.type) {
    case 'eventWithin': {
      const last = lastEvent(facts, rule.event);
      // Still within at exactly last + minutes (evaluateRule's `<=`); out one millisecond later.
      if (last !== undefined) into.push(last + rule.minutes * MINUTE + 1);
      return;
    }
    case 'eventNotFollowedBy': {
      const started = lastEvent(facts, rule.event);
      if (started === undefined) return;
      into.push(started + rule.minutes * MINUTE);
      if (rule.lookbackMinutes !== undefined) into.push(started + rule.lookbackMinutes * MINUTE + 1);
      return;
    }
    case 'all':
    case 'any':
      for (const inner of rule.rules) thresholds(inner, facts, into);
      return;
    case 'not':
      thresholds(rule.rule, facts, into);
      return;
    case 'trait':
    case 'consent':
      // Only a write changes traits and consents.
      return;
  }
}

function lastEvent(facts: SegmentFacts, type: string): number | undefined {
  const at = type === '*' ? facts.traits.lastSeenAt : facts.lastEventAt[type];
  if (at === undefined || at === null) return undefined;
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * When `spec`'s membership of a customer with these facts next changes
 * without a write: the first instant after `now` at which the rule's answer
 * differs from its answer at `now`, or undefined when only a write can
 * change it (traits, consents, or no event yet).
 */
export function nextSegmentChange(spec: SegmentSpec, facts: SegmentFacts, now: Date): Date | undefined {
  const candidates: number[] = [];
  thresholds(spec.rule, facts, candidates);
  const current = evaluateRule(spec.rule, facts, now).match;
  const after = [...new Set(candidates.filter((t) => t > now.getTime()))].sort((a, b) => a - b);
  for (const t of after) {
    const at = new Date(t);
    if (evaluateRule(spec.rule, facts, at).match !== current) return at;
  }
  return undefined;
}

/**
 * The customer's due time: the first instant after `now` at which any of
 * `specs` changes membership without a write (docs/segments.md, "Due
 * times"). Undefined when no membership changes with time alone.
 */
export function nextMembershipChange(specs: readonly SegmentSpec[], facts: SegmentFacts, now: Date): Date | undefined {
  let earliest: Date | undefined;
  for (const spec of specs) {
    const at = nextSegmentChange(spec, facts, now);
    if (at && (!earliest || at < earliest)) earliest = at;
  }
  return earliest;
}
