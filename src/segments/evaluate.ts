import type { ConsentRecord, SegmentMembershipRecord, TraitsRecord } from '../domain/index.js';
import type { Comparison, SegmentRule, SegmentSpec } from './definitions.js';

/** What rules read about a customer: all of it is on the customer item, so evaluation costs no extra read. */
export interface SegmentFacts {
  readonly traits: TraitsRecord;
  readonly consents: readonly ConsentRecord[];
  /** Latest occurredAt per event type. */
  readonly lastEventAt: Readonly<Record<string, string>>;
}

/** Whether a rule holds, and from when, where the rule can tell (an event's time); otherwise the evaluation time counts. */
export interface RuleResult {
  readonly match: boolean;
  readonly since?: string | undefined;
}

const MINUTE = 60_000;
const NO_MATCH: RuleResult = { match: false };

export function evaluateRule(rule: SegmentRule, facts: SegmentFacts, now: Date): RuleResult {
  switch (rule.type) {
    case 'trait':
      return { match: compareTrait(facts.traits[rule.trait], rule.op, rule.value) };
    case 'eventWithin': {
      const last = lastEvent(facts, rule.event);
      return last !== undefined && now.getTime() - Date.parse(last) <= rule.minutes * MINUTE ? { match: true, since: last } : NO_MATCH;
    }
    case 'eventNotFollowedBy':
      return evaluateNotFollowedBy(rule, facts, now);
    case 'consent':
      return { match: facts.consents.some((consent) => consent.purpose === rule.purpose && consent.status === rule.status) };
    case 'all': {
      const results = rule.rules.map((inner) => evaluateRule(inner, facts, now));
      if (!results.every((result) => result.match)) return NO_MATCH;
      return { match: true, since: latest(results.map((result) => result.since)) };
    }
    case 'any': {
      const matched = rule.rules.map((inner) => evaluateRule(inner, facts, now)).filter((result) => result.match);
      if (matched.length === 0) return NO_MATCH;
      return { match: true, since: earliest(matched.map((result) => result.since)) };
    }
    case 'not':
      return { match: !evaluateRule(rule.rule, facts, now).match };
  }
}

/** X happened at least `minutes` ago (and at most `lookbackMinutes` ago), and no Y came after it. */
function evaluateNotFollowedBy(rule: Extract<SegmentRule, { type: 'eventNotFollowedBy' }>, facts: SegmentFacts, now: Date): RuleResult {
  const started = lastEvent(facts, rule.event);
  if (started === undefined) return NO_MATCH;
  const age = now.getTime() - Date.parse(started);
  if (age < rule.minutes * MINUTE) return NO_MATCH;
  if (rule.lookbackMinutes !== undefined && age > rule.lookbackMinutes * MINUTE) return NO_MATCH;
  const followUp = lastEvent(facts, rule.notFollowedBy);
  if (followUp !== undefined && followUp > started) return NO_MATCH;
  return { match: true, since: new Date(Date.parse(started) + rule.minutes * MINUTE).toISOString() };
}

function lastEvent(facts: SegmentFacts, type: string): string | undefined {
  return type === '*' ? (facts.traits.lastSeenAt ?? undefined) : facts.lastEventAt[type];
}

function compareTrait(actual: number | string | null | undefined, op: Comparison, expected: number | string): boolean {
  if (actual === null || actual === undefined) return op === 'neq';
  const [a, b] = typeof expected === 'number' ? [Number(actual), expected] : [Date.parse(String(actual)), Date.parse(expected)];
  switch (op) {
    case 'eq':
      return a === b;
    case 'neq':
      return a !== b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
  }
}

function latest(times: ReadonlyArray<string | undefined>): string | undefined {
  return times.reduce<string | undefined>((max, t) => (t !== undefined && (max === undefined || t > max) ? t : max), undefined);
}

function earliest(times: ReadonlyArray<string | undefined>): string | undefined {
  return times.reduce<string | undefined>((min, t) => (t !== undefined && (min === undefined || t < min) ? t : min), undefined);
}

/**
 * A customer's memberships after evaluating `specs` at `now`. A customer who
 * stays in a segment keeps its `since`; one who enters gets the time the rule
 * gives (an event's time) or `now`. Memberships of segments not evaluated
 * this time (batch-only ones on a write) are kept as they were.
 */
export function evaluateMemberships(
  specs: readonly SegmentSpec[],
  facts: SegmentFacts,
  previous: readonly SegmentMembershipRecord[],
  now: Date,
): SegmentMembershipRecord[] {
  const evaluated = new Set(specs.map((spec) => spec.id));
  const before = new Map(previous.map((membership) => [membership.segmentId, membership]));
  const kept = previous.filter((membership) => !evaluated.has(membership.segmentId));
  const current = specs.flatMap((spec): SegmentMembershipRecord[] => {
    const result = evaluateRule(spec.rule, facts, now);
    if (!result.match) return [];
    const existing = before.get(spec.id);
    return [existing ?? { segmentId: spec.id, since: result.since ?? now.toISOString() }];
  });
  return [...kept, ...current];
}

/** Same memberships, ignoring order. */
export function sameMemberships(a: readonly SegmentMembershipRecord[], b: readonly SegmentMembershipRecord[]): boolean {
  if (a.length !== b.length) return false;
  const key = (m: SegmentMembershipRecord) => `${m.segmentId}@${m.since}`;
  const set = new Set(a.map(key));
  return b.every((m) => set.has(key(m)));
}

/** The customer with its memberships of `specs` re-evaluated at `now`. */
export function withSegments(
  record: { readonly traits: SegmentFacts['traits']; readonly consents: SegmentFacts['consents']; readonly lastEventAt?: SegmentFacts['lastEventAt'] | undefined; readonly segments: readonly SegmentMembershipRecord[] },
  specs: readonly SegmentSpec[],
  now: Date,
): SegmentMembershipRecord[] {
  return evaluateMemberships(specs, { traits: record.traits, consents: record.consents, lastEventAt: record.lastEventAt ?? {} }, record.segments, now);
}
