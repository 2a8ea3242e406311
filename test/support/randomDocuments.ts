import { getNamedType, isLeafType, isNonNullType, isObjectType } from 'graphql';
import type { GraphQLField, GraphQLObjectType } from 'graphql';
import { buildBaseSchema } from '../../src/graphql/schema.js';
import { classifySchema } from '../../src/privacy/classification.js';

/**
 * Documents made at random over the customer's fields, and what their
 * answers must have audited: the oracle of test/privacy-audit-invariant.test.ts
 * and test/released-by-plan.test.ts, read from the schema's own @pii
 * classification, independently of how the gateway applies it.
 */
const schema = buildBaseSchema();
const classification = classifySchema(schema);
export const customerType = schema.getType('Customer') as GraphQLObjectType;

export type Random = () => number;

export interface Selected {
  readonly key: string;
  readonly field: GraphQLField<unknown, unknown>;
  readonly inner?: readonly Selected[];
}

/** A random selection of a type's fields (those without required arguments), some aliased, some twice. */
export function selectionOf(type: GraphQLObjectType, random: Random, depth: number): Selected[] {
  const fields = Object.values(type.getFields()).filter((field) => field.args.every((arg) => !isNonNullType(arg.type) || arg.defaultValue !== undefined));
  const chosen: Selected[] = [];
  for (const field of fields) {
    if (random() > 0.55) continue;
    const inner = getNamedType(field.type);
    const key = random() < 0.1 ? `a${chosen.length}_${field.name}` : field.name;
    if (isLeafType(inner)) {
      chosen.push({ key, field });
    } else if (isObjectType(inner) && depth < 4) {
      const below = selectionOf(inner, random, depth + 1);
      if (below.length > 0) chosen.push({ key, field, inner: below });
    }
    // Selected again under the same key: the executor merges the two.
    if (random() < 0.1 && chosen.at(-1)?.field === field) chosen.push(chosen.at(-1)!);
  }
  return chosen;
}

function argumentsOf(field: GraphQLField<unknown, unknown>): string {
  return field.args.some((arg) => arg.name === 'first') ? '(first: 2)' : '';
}

/** The selection as GraphQL text: some fields inline, some in an inline fragment, some in a named fragment. */
export function printSelection(type: GraphQLObjectType, selected: readonly Selected[], random: Random, fragments: string[]): string {
  const printed = selected.map((item) => {
    const alias = item.key === item.field.name ? '' : `${item.key}: `;
    const below = item.inner ? ` { ${printSelection(getNamedType(item.field.type) as GraphQLObjectType, item.inner, random, fragments)} }` : '';
    return `${alias}${item.field.name}${argumentsOf(item.field)}${below}`;
  });
  const roll = random();
  if (roll < 0.2 && printed.length > 1) return `${printed[0]} ... on ${type.name} { ${printed.slice(1).join(' ')} }`;
  if (roll < 0.35 && printed.length > 1) {
    const name = `F${fragments.length}`;
    fragments.push(`fragment ${name} on ${type.name} { ${printed.slice(1).join(' ')} }`);
    return `${printed[0]} ...${name}`;
  }
  return printed.join(' ');
}

/** The audit paths a response carries, by the classification: what its read's records must list, no more, no less. */
export function expectedReleases(value: unknown, type: GraphQLObjectType, selected: readonly Selected[], path: string, into: Map<string, string | null>): void {
  if (value === null || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  for (const item of selected) {
    const at = `${path}.${item.key}`;
    const answer = object[item.key];
    const personal = classification.get(`${type.name}.${item.field.name}`);
    if (personal && answer !== null && answer !== undefined) {
      into.set(at, personal.piiClass);
      if (personal.kind === 'trackedProperties') {
        // Each property is decided by the tracking plan's class for the event's type.
        for (const [name, property] of Object.entries(answer as Record<string, unknown>)) if (property !== null) into.set(`${at}.${name}`, null);
      }
    }
    if (!item.inner || answer === null || answer === undefined) continue;
    const inner = getNamedType(item.field.type) as GraphQLObjectType;
    if (Array.isArray(answer)) answer.forEach((element, i) => expectedReleases(element, inner, item.inner!, `${at}.${i}`, into));
    else expectedReleases(answer, inner, item.inner, at, into);
  }
}

export function valueAt(data: unknown, path: ReadonlyArray<string | number>): unknown {
  let at: unknown = data;
  for (const key of path) at = at === null || at === undefined ? undefined : (at as Record<string | number, unknown>)[key];
  return at;
}

/** A random selection of the customer's fields (always its id), printed with the fragments it uses. */
export function randomCustomerSelection(random: Random): { selected: Selected[]; body: string; fragments: string[] } {
  const fragments: string[] = [];
  const selected = [{ key: 'id', field: customerType.getFields().id! }, ...selectionOf(customerType, random, 1)];
  return { selected, body: printSelection(customerType, selected, random, fragments), fragments };
}
