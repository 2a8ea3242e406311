import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import type { ConsentStatus, Purpose } from '../domain/index.js';
import { parseConfigFile, readConfigJson } from '../configFile.js';
import type { ConfigFileKind } from '../configFile.js';
import { projectPath } from '../projectRoot.js';
import { CONSENT_STATUSES, PURPOSES } from '../domain/index.js';

/** A segment as clients see it (Query.segments). */
export interface SegmentDefinition {
  readonly id: string;
  readonly name: string;
  readonly description?: string | null;
  readonly realtime: boolean;
}

export const NUMERIC_TRAITS = ['lifetimeValue', 'orderCount'] as const;
export const TIME_TRAITS = ['firstSeenAt', 'lastSeenAt'] as const;
export type TraitName = (typeof NUMERIC_TRAITS)[number] | (typeof TIME_TRAITS)[number];
export type Comparison = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte';

/**
 * Membership rules (docs/segments.md). Event rules read the latest time of
 * each event type, so a rule costs no read of the timeline:
 * - `trait`: compare a computed trait with a value;
 * - `eventWithin`: event X (or `*`, any event) within the last N minutes;
 * - `eventNotFollowedBy`: event X at least N minutes ago and no event Y since
 *   (abandoned cart), optionally only when X is at most `lookbackMinutes` old;
 * - `consent`: the customer's decision for a purpose;
 * - `all`, `any`, `not`: combinations.
 */
export type SegmentRule =
  | { readonly type: 'trait'; readonly trait: TraitName; readonly op: Comparison; readonly value: number | string }
  | { readonly type: 'eventWithin'; readonly event: string; readonly minutes: number }
  | {
      readonly type: 'eventNotFollowedBy';
      readonly event: string;
      readonly notFollowedBy: string;
      readonly minutes: number;
      readonly lookbackMinutes?: number | undefined;
    }
  | { readonly type: 'consent'; readonly purpose: Purpose; readonly status: ConsentStatus }
  | { readonly type: 'all'; readonly rules: readonly SegmentRule[] }
  | { readonly type: 'any'; readonly rules: readonly SegmentRule[] }
  | { readonly type: 'not'; readonly rule: SegmentRule };

/** A segment with its rule, as the segment file holds it. */
export interface SegmentSpec extends SegmentDefinition {
  readonly rule: SegmentRule;
}

/** Minutes in a year: a longer window is almost certainly a unit mistake. */
const MAX_MINUTES = 525_600;
const minutes = z.number().int().min(1).max(MAX_MINUTES);
const eventType = z.string().min(1).max(128);

const traitRule = z
  .object({
    type: z.literal('trait'),
    trait: z.enum([...NUMERIC_TRAITS, ...TIME_TRAITS]),
    op: z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']),
    value: z.union([z.number(), z.string()]),
  })
  .strict()
  .superRefine((rule, ctx) => {
    const numeric = (NUMERIC_TRAITS as readonly string[]).includes(rule.trait);
    if (numeric && typeof rule.value !== 'number') ctx.addIssue({ code: 'custom', path: ['value'], message: `${rule.trait} compares with a number` });
    if (!numeric && (typeof rule.value !== 'string' || !z.iso.datetime().safeParse(rule.value).success)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${rule.trait} compares with an ISO 8601 date-time` });
    }
  });

const ruleSchema: z.ZodType<SegmentRule> = z.lazy(() =>
  z.union([
    traitRule,
    z.object({ type: z.literal('eventWithin'), event: eventType, minutes }).strict(),
    z
      .object({ type: z.literal('eventNotFollowedBy'), event: eventType, notFollowedBy: eventType, minutes, lookbackMinutes: minutes.optional() })
      .strict()
      .refine((rule) => rule.lookbackMinutes === undefined || rule.lookbackMinutes > rule.minutes, {
        path: ['lookbackMinutes'],
        message: 'lookbackMinutes must be longer than minutes',
      }),
    z
      .object({
        type: z.literal('consent'),
        purpose: z.enum(PURPOSES),
        status: z.enum(CONSENT_STATUSES),
      })
      .strict(),
    z.object({ type: z.literal('all'), rules: z.array(ruleSchema).min(1) }).strict(),
    z.object({ type: z.literal('any'), rules: z.array(ruleSchema).min(1) }).strict(),
    z.object({ type: z.literal('not'), rule: ruleSchema }).strict(),
  ]),
);

const specSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9_]{1,64}$/, 'expected lower-case letters, digits and _'),
    name: z.string().min(1),
    description: z.string().nullish(),
    realtime: z.boolean(),
    rule: ruleSchema,
  })
  .strict();

export const segmentFileSchema = z.object({ segments: z.array(specSchema) }).strict().superRefine((file, ctx) => {
  const seen = new Set<string>();
  file.segments.forEach((segment, index) => {
    if (seen.has(segment.id)) ctx.addIssue({ code: 'custom', path: ['segments', index, 'id'], message: `duplicate segment id ${segment.id}` });
    seen.add(segment.id);
  });
});

export interface SegmentFile {
  readonly segments: readonly SegmentSpec[];
}

export const DEFAULT_SEGMENTS_FILE = pathToFileURL(projectPath('config', 'segments.json'));

const SEGMENT_FILE: ConfigFileKind = { title: 'Segment file', error: (message) => new Error(message) };

/** Validates segment definitions; a bad file throws with the path of each problem. */
export function parseSegmentFile(raw: unknown, name = 'segment file'): SegmentFile {
  return parseConfigFile(segmentFileSchema, raw, name, SEGMENT_FILE);
}

/** Reads and validates the segment definitions. */
export function loadSegmentFile(file: string | URL = DEFAULT_SEGMENTS_FILE): SegmentFile {
  return parseSegmentFile(readConfigJson(file, SEGMENT_FILE), String(file));
}
