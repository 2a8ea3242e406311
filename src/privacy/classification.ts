import { getDirective } from '@graphql-tools/utils';
import { GraphQLList, GraphQLNonNull, getNamedType, isInterfaceType, isObjectType, isScalarType, isUnionType } from 'graphql';
import type { GraphQLField, GraphQLNamedType, GraphQLObjectType, GraphQLOutputType, GraphQLSchema } from 'graphql';
import { PII_CLASSES } from '../domain/index.js';
import type { PiiClass } from '../domain/index.js';
import type { ValueShape } from './redact.js';

/**
 * "Personal means everything about the person" (docs/privacy.md, "Classifying
 * fields"): every field a response can reach carries `@pii(class: …)` or
 * `@notPersonal(reason: "…")`. This reads the schema once at start, refuses
 * it with every problem named by `Type.field` and how to fix it, and tells
 * the enforcement (piiTransform.ts) how each personal field is decided.
 */

/** How a personal field's value is decided. */
export type PersonalField =
  /** A scalar, or an object decided whole (an address): masked and hashed as one value. */
  | { readonly kind: 'value'; readonly piiClass: PiiClass; readonly shape: ValueShape; readonly list: boolean }
  /**
   * A part of the customer (loyalty, a list of identities or events): the
   * decision covers its presence; its own fields are decided one by one.
   */
  | { readonly kind: 'part'; readonly piiClass: PiiClass }
  /** Event properties: present as a part, each property decided by the tracking plan's class. */
  | { readonly kind: 'trackedProperties'; readonly piiClass: PiiClass };

export type Classification = ReadonlyMap<string, PersonalField>;

const HOW_TO_FIX =
  `add @pii(class: ${PII_CLASSES.join(' | ')}) if it describes a person (a @pii field must be nullable), ` +
  'or @notPersonal(reason: "…") saying why it does not (the id the caller already holds, catalog data, a cursor, a write\'s own outcome). See docs/privacy.md, "Classifying fields".';

export class ClassificationError extends Error {
  override readonly name = 'ClassificationError';
}

/**
 * Walks every type reachable from the root operation types. A type reached
 * only through a `@pii` field and whose own fields carry neither directive
 * (Address under Profile.address) is decided whole by that field; any other
 * reachable type must classify every one of its fields.
 */
export function classifySchema(schema: GraphQLSchema): Classification {
  const personal = new Map<string, PersonalField>();
  const problems: string[] = [];
  const visited = new Set<string>();
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter((type): type is GraphQLObjectType => !!type);
  const queue: GraphQLNamedType[] = roots.flatMap((root) => Object.values(root.getFields()).map((field) => getNamedType(field.type)));

  while (queue.length > 0) {
    const type = queue.shift()!;
    if (visited.has(type.name)) continue;
    visited.add(type.name);
    if (isUnionType(type)) {
      queue.push(...type.getTypes());
      continue;
    }
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      const decided = classifyField(schema, field, coordinate, problems);
      if (decided) personal.set(coordinate, decided);
      const inner = getNamedType(field.type);
      if (decided?.kind === 'value') continue; // an object decided whole: its fields are covered by this one
      if (isObjectType(inner) || isInterfaceType(inner) || isUnionType(inner)) queue.push(inner);
    }
  }
  if (problems.length > 0) {
    throw new ClassificationError(`The schema does not say what is personal, so the gateway will not start:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return personal;
}

function classifyField(schema: GraphQLSchema, field: GraphQLField<unknown, unknown>, coordinate: string, problems: string[]): PersonalField | undefined {
  const pii = getDirective(schema, field, 'pii')?.[0];
  const notPersonal = getDirective(schema, field, 'notPersonal')?.[0];
  const tracked = getDirective(schema, field, 'trackedProperties')?.[0];
  if (pii && notPersonal) {
    problems.push(`${coordinate} has both @pii and @notPersonal; keep the one that is true.`);
    return undefined;
  }
  if (notPersonal) {
    if (typeof notPersonal.reason !== 'string' || notPersonal.reason.trim() === '') problems.push(`${coordinate} has @notPersonal without a reason; say why it is not about a person.`);
    if (tracked) problems.push(`${coordinate} has @trackedProperties without @pii; event properties are personal.`);
    return undefined;
  }
  if (!pii) {
    problems.push(`${coordinate} has neither @pii nor @notPersonal: ${HOW_TO_FIX}`);
    return undefined;
  }
  const piiClass = pii.class as PiiClass;
  if (!PII_CLASSES.includes(piiClass)) {
    problems.push(`${coordinate} has an unknown PII class; use one of ${PII_CLASSES.join(', ')}.`);
    return undefined;
  }
  if (field.type instanceof GraphQLNonNull) {
    problems.push(`${coordinate} is @pii but non-null; a withheld field must be able to be null without nulling its parent. Drop the "!".`);
    return undefined;
  }
  if (tracked) {
    if (!isScalarType(getNamedType(field.type)) || getNamedType(field.type).name !== 'JSON') problems.push(`${coordinate} has @trackedProperties but is not JSON.`);
    return { kind: 'trackedProperties', piiClass };
  }
  const inner = getNamedType(field.type);
  if ((isObjectType(inner) || isInterfaceType(inner)) && hasClassifiedFields(schema, inner)) return { kind: 'part', piiClass };
  if (isUnionType(inner)) return { kind: 'part', piiClass };
  return { kind: 'value', piiClass, ...valueShapeOf(field.type) };
}

/** A type whose fields say what they are is a part; one whose fields say nothing is a value decided whole. */
function hasClassifiedFields(schema: GraphQLSchema, type: GraphQLObjectType | ReturnType<typeof getNamedType>): boolean {
  if (!isObjectType(type) && !isInterfaceType(type)) return false;
  return Object.values(type.getFields()).some((field) => getDirective(schema, field, 'pii') || getDirective(schema, field, 'notPersonal'));
}

function valueShapeOf(type: GraphQLOutputType): { shape: ValueShape; list: boolean } {
  const list = (type instanceof GraphQLNonNull ? type.ofType : type) instanceof GraphQLList;
  const named = getNamedType(type);
  if (isObjectType(named)) return { shape: 'object', list };
  if (!isScalarType(named)) return { shape: 'other', list };
  const byName: Record<string, ValueShape> = { String: 'string', ID: 'string', Date: 'date', DateTime: 'dateTime', Float: 'number', Int: 'number', JSON: 'json' };
  return { shape: byName[named.name] ?? 'other', list };
}
