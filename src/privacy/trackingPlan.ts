import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../config.js';
import { parseConfigFile, readConfigJson } from '../configFile.js';
import type { ConfigFileKind } from '../configFile.js';
import { PII_CLASSES } from '../domain/index.js';
import { projectPath } from '../projectRoot.js';
import type { PiiClass } from '../domain/index.js';

/**
 * The tracking plan (config/tracking-plan.json, or C360_TRACKING_PLAN_FILE):
 * per event type, the properties an event may carry, each with a JSON type
 * and a PII class. `track` checks an event against it before anything is
 * stored; on read, each property is decided by its own class, and one the
 * plan does not declare (quarantined, or left from before the plan changed)
 * counts as SENSITIVE. Read and validated once at start.
 */
export const PROPERTY_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array'] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];

/** What happens to a property the plan does not declare: refused, or stored and released only as SENSITIVE. */
export const UNPLANNED_HANDLING = ['refuse', 'quarantine'] as const;
export type UnplannedHandling = (typeof UNPLANNED_HANDLING)[number];

const propertySchema = z.strictObject({
  type: z.enum(PROPERTY_TYPES, { error: `expected one of ${PROPERTY_TYPES.join(', ')}` }),
  class: z.enum(PII_CLASSES, { error: `expected one of ${PII_CLASSES.join(', ')}` }),
  description: z.string().optional(),
});

const unplannedSchema = z.enum(UNPLANNED_HANDLING, { error: `expected one of ${UNPLANNED_HANDLING.join(', ')}` });

const eventSchema = z.strictObject({
  description: z.string().optional(),
  properties: z.record(z.string().min(1).max(128), propertySchema),
  unplanned: unplannedSchema.default('refuse'),
});

export const trackingPlanFileSchema = z.strictObject({
  $comment: z.string().optional(),
  events: z.record(z.string().min(1, 'an event type is 1–128 characters').max(128, 'an event type is 1–128 characters'), eventSchema),
  otherEvents: z.strictObject({ unplanned: unplannedSchema }).default({ unplanned: 'refuse' }),
});

export interface PlannedProperty {
  readonly type: PropertyType;
  readonly class: PiiClass;
}

export interface EventPlan {
  readonly properties: ReadonlyMap<string, PlannedProperty>;
  readonly unplanned: UnplannedHandling;
}

/** A property's name as an error may show it: only plain names are echoed, never a value sent as a key. */
const ECHOABLE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Why `track` refuses an event's properties; each names the property, never its value. */
export type PropertyProblem =
  | { readonly kind: 'unplanned'; readonly names: readonly string[]; readonly unnamed: number }
  | { readonly kind: 'type'; readonly name: string; readonly expected: PropertyType };

export class TrackingPlan {
  private readonly events: ReadonlyMap<string, EventPlan>;
  private readonly otherEvents: EventPlan;

  constructor(file: z.output<typeof trackingPlanFileSchema>) {
    this.events = new Map(
      Object.entries(file.events).map(([type, plan]) => [type, { properties: new Map(Object.entries(plan.properties)), unplanned: plan.unplanned }]),
    );
    this.otherEvents = { properties: new Map(), unplanned: file.otherEvents.unplanned };
  }

  planFor(eventType: string): EventPlan {
    return this.events.get(eventType) ?? this.otherEvents;
  }

  /** The class a stored property is decided by: the plan's, or SENSITIVE for anything it does not declare. */
  classOf(eventType: string, property: string): PiiClass {
    return this.planFor(eventType).properties.get(property)?.class ?? 'SENSITIVE';
  }

  /** The first problem with an event's properties, or undefined when the plan accepts them. */
  check(eventType: string, properties: Readonly<Record<string, unknown>>): PropertyProblem | undefined {
    const plan = this.planFor(eventType);
    const unplanned = Object.keys(properties).filter((name) => !plan.properties.has(name));
    if (unplanned.length > 0 && plan.unplanned === 'refuse') {
      const names = unplanned.filter((name) => ECHOABLE_NAME.test(name)).sort();
      return { kind: 'unplanned', names, unnamed: unplanned.length - names.length };
    }
    for (const [name, value] of Object.entries(properties)) {
      const planned = plan.properties.get(name);
      if (planned && value !== null && !hasType(value, planned.type)) return { kind: 'type', name, expected: planned.type };
    }
    return undefined;
  }
}

function hasType(value: unknown, type: PropertyType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return typeof value === 'object' && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
  }
}

export const DEFAULT_TRACKING_PLAN_FILE = pathToFileURL(projectPath('config', 'tracking-plan.json'));

export class TrackingPlanError extends ConfigError {}

const TRACKING_PLAN_FILE: ConfigFileKind = { title: 'Tracking plan', error: (message) => new TrackingPlanError(message), hint: 'See docs/privacy.md.' };

/** Reads and validates the plan; a bad file throws a TrackingPlanError naming each problem by its path. */
export function loadTrackingPlan(file: string | URL = DEFAULT_TRACKING_PLAN_FILE): TrackingPlan {
  return parseTrackingPlan(readConfigJson(file, TRACKING_PLAN_FILE), String(file));
}

export function parseTrackingPlan(raw: unknown, source = 'tracking plan'): TrackingPlan {
  return new TrackingPlan(parseConfigFile(trackingPlanFileSchema, raw, source, TRACKING_PLAN_FILE));
}
