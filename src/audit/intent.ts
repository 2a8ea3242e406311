import { Kind, getNamedType, getNullableType, isAbstractType, isListType, isObjectType } from 'graphql';
import type { DocumentNode, FragmentDefinitionNode, GraphQLObjectType, GraphQLOutputType, GraphQLSchema, OperationDefinitionNode, SelectionSetNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { PII_CLASSES } from '../domain/index.js';
import type { FieldDecisionRecord, PiiClass, Purpose } from '../domain/index.js';
import { classifySchema } from '../privacy/classification.js';
import type { Classification } from '../privacy/classification.js';
import type { PrivacyPolicy } from '../privacy/policy.js';

/**
 * What a read may release, known before any source answers: every personal
 * field its operation selects, as a path template (`customer.consents.*.status`:
 * response keys, `*` for every position of a list) and its class. The read's
 * intent record (src/audit/readAudit.ts) lists these for each customer the
 * read is about to read, so that it can be written beside the source calls;
 * a release is covered by it when its path, with list positions as `*`, is
 * a listed template or lies below one, with the same class.
 *
 * A conservative superset: a field is listed whatever the customer's
 * consent (it may be withheld), every template of the operation is listed
 * for every customer it reads, and event properties (named by the data) are
 * listed once per class below their field. Only classes the purpose's
 * policy denies outright are left out: they are never released.
 */
export interface IntendedField {
  readonly path: string;
  readonly piiClass: PiiClass;
}

/** The intent of one operation for one purpose: the fields as recorded, and the coverage test. */
export interface ReadIntent {
  /** As an audit record lists them: template, class, the policy's action for the class (allow, mask or hash) and its reason. */
  readonly fields: readonly FieldDecisionRecord[];
  /**
   * Whether a release (its path with list positions as digits, its class) is
   * covered by one of the templates. Answered once per release object: the
   * privacy ledger's releases are shared by every request that releases the
   * same path, class and action (src/privacy/ledger.ts, Release).
   */
  covers(field: Pick<FieldDecisionRecord, 'path' | 'piiClass'>): boolean;
}

/** Deeper than any operation the depth limit lets through (docs/security.md); a backstop against fragment cycles. */
const MAX_DEPTH = 64;
export const INTENT_CACHE_SIZE = 1_000;

/** Intents by document, operation and purpose (an LRU, like the response plans); the classification once per schema. */
export class ReadIntents {
  private readonly intents = new LRUCache<string, ReadIntent | { readonly none: true }>({ max: INTENT_CACHE_SIZE });
  private readonly classifications = new WeakMap<GraphQLSchema, Classification>();

  constructor(private readonly policy: PrivacyPolicy) {}

  /** The operation's intent for this purpose, or undefined when it can release nothing (no purpose, nothing personal selected, or every class denied). */
  intentFor(schema: GraphQLSchema, document: DocumentNode, queryHash: string, operationName: string | null, purpose: Purpose | null): ReadIntent | undefined {
    if (purpose === null) return undefined;
    const key = `${queryHash}:${operationName ?? ''}:${purpose}`;
    let intent = this.intents.get(key);
    if (!intent) {
      let classification = this.classifications.get(schema);
      if (!classification) this.classifications.set(schema, (classification = classifySchema(schema)));
      const fields = intendedFields(schema, classification, document, operationName);
      intent = fields.length === 0 ? { none: true } : readIntent(fields, this.policy, purpose);
      this.intents.set(key, intent);
    }
    return 'none' in intent ? undefined : intent;
  }
}

function readIntent(intended: readonly IntendedField[], policy: PrivacyPolicy, purpose: Purpose): ReadIntent | { readonly none: true } {
  const rule = policy[purpose];
  const fields: FieldDecisionRecord[] = [];
  const listed = new Set<string>();
  for (const { path, piiClass } of intended) {
    const action = rule.classes[piiClass];
    const key = `${path}\u0000${piiClass}`;
    if (action === 'deny' || listed.has(key)) continue;
    listed.add(key);
    fields.push({ path, piiClass, decision: action, reason: action === 'mask' ? 'POLICY_MASKS' : action === 'hash' ? 'POLICY_HASHES' : null });
  }
  if (fields.length === 0) return { none: true };
  const answered = new WeakMap<object, boolean>();
  const covers = (path: string, piiClass: string): boolean => {
    let template = templateOf(path);
    for (;;) {
      if (listed.has(`${template}\u0000${piiClass}`)) return true;
      const cut = template.lastIndexOf('.');
      if (cut < 0) return false;
      template = template.slice(0, cut);
    }
  };
  return {
    // Frozen: every intent record of the plan carries this one list, which the store encodes once (auditFields.ts).
    fields: Object.freeze(fields),
    covers(field) {
      let known = answered.get(field);
      if (known === undefined) answered.set(field, (known = covers(field.path, field.piiClass)));
      return known;
    },
  };
}

/**
 * `customer.consents.0.status` → `customer.consents.*.status`: response keys
 * never start with a digit, list positions are all digits. (`*`, not the `#`
 * the store uses for list positions in its compact form.)
 */
export function templateOf(path: string): string {
  return path.replace(/(^|\.)\d+(?=\.|$)/g, '$1*');
}

/**
 * Every personal field the operation selects, by template and class. Abstract
 * types are followed into each of their object types; a selection that
 * names no field of the schema adds nothing (validation refused it already).
 */
export function intendedFields(schema: GraphQLSchema, classification: Classification, document: DocumentNode, operationName: string | null): IntendedField[] {
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION && (operationName ? definition.name?.value === operationName : true),
  );
  const root = operation && (operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType());
  if (!operation || !root) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const out: IntendedField[] = [];
  const visit = (types: readonly GraphQLObjectType[], selectionSet: SelectionSetNode, prefix: string, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(narrow(schema, types, selection.typeCondition?.name.value), selection.selectionSet, prefix, depth + 1);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(narrow(schema, types, fragment.typeCondition.name.value), fragment.selectionSet, prefix, depth + 1);
        continue;
      }
      const name = selection.name.value;
      if (name.startsWith('__')) continue;
      const key = selection.alias?.value ?? name;
      const at = prefix === '' ? key : `${prefix}.${key}`;
      for (const type of types) {
        const field = type.getFields()[name];
        if (!field) continue;
        const personal = classification.get(`${type.name}.${name}`);
        if (personal) out.push({ path: at, piiClass: personal.piiClass });
        // Event properties are named by the data: each class they can carry, below the field.
        if (personal?.kind === 'trackedProperties') for (const piiClass of PII_CLASSES) out.push({ path: at, piiClass });
        // An object decided whole (an address) is covered by its own template.
        if (personal?.kind === 'value' || !selection.selectionSet) continue;
        const inner = getNamedType(field.type);
        visit(objectTypesOf(schema, inner), selection.selectionSet, `${at}${listMarks(field.type)}`, depth + 1);
      }
    }
  };
  visit([root], operation.selectionSet, '', 0);
  return out;
}

/** `.*` for every list around a field's type: its elements' paths carry one position per list. */
function listMarks(type: GraphQLOutputType): string {
  let marks = '';
  for (let inner: GraphQLOutputType = getNullableType(type); isListType(inner); inner = getNullableType(inner.ofType)) marks += '.*';
  return marks;
}

function objectTypesOf(schema: GraphQLSchema, type: ReturnType<typeof getNamedType>): GraphQLObjectType[] {
  if (isObjectType(type)) return [type];
  if (isAbstractType(type)) return [...schema.getPossibleTypes(type)];
  return [];
}

/** The object types of `types` a type condition applies to (all of them when there is none). */
function narrow(schema: GraphQLSchema, types: readonly GraphQLObjectType[], condition: string | undefined): GraphQLObjectType[] {
  if (condition === undefined) return [...types];
  const named = schema.getType(condition);
  if (!named) return [];
  if (isObjectType(named)) return types.filter((type) => type === named);
  if (isAbstractType(named)) return types.filter((type) => schema.isSubType(named, type));
  return [];
}
