import { Kind, TypeInfo, extendSchema, getNamedType, isAbstractType, isCompositeType, isObjectType, parse, visit, visitWithTypeInfo } from 'graphql';
import type { DocumentNode, GraphQLObjectType, FieldNode, FragmentDefinitionNode, GraphQLSchema, OperationDefinitionNode, SelectionSetNode, SourceLocation } from 'graphql';
import { PlanCache } from '../graphql/operationPlan.js';
import { fieldLocations } from '../graphql/selection.js';
import type { PiiClass } from '../domain/index.js';
import { OWNER_ID_TYPES, isWriteOutcome } from '../models.js';
import type { Classification } from './classification.js';
import type { ValueShape } from './redact.js';

/**
 * The response key of the owner tag: a field the plan adds to every
 * selection set that selects a personal value, resolved to the owner of the
 * object it sits on (ownerTag) and taken out by the walk before the response
 * is serialized (src/privacy/responseWalk.ts). Not in the API schema; only
 * in the schema the executor runs (withOwnerTags).
 */
export const OWNER_KEY = '_c360Owner';
const OWNER_SCALAR = '_C360Owner';
/** The field the tag reads on a type whose models carry their owner as `ownerId` (OWNER_ID_TYPES): no resolver, so the executor reads the property. */
const OWNER_ID_FIELD = 'ownerId';

/** The field the owner tag selects on objects of this type (aliased OWNER_KEY in the document the executor runs). */
function ownerFieldOf(typeName: string | undefined): string {
  return typeName !== undefined && OWNER_ID_TYPES.has(typeName) ? OWNER_ID_FIELD : OWNER_KEY;
}

/** A personal value the walk decides: a scalar (or a list of them) at a response key. */
export interface WalkedValue {
  readonly key: string;
  readonly piiClass: PiiClass;
  readonly shape: ValueShape;
  readonly list: boolean;
  /** Where the field is in the document, for the error of a withheld value. */
  readonly locations: readonly SourceLocation[] | undefined;
}

/** What the walk does at one object of the response. */
export interface ObjectPlan {
  /** Personal values selected on this object; when there are any, the object carries its owner tag. */
  readonly values: readonly WalkedValue[];
  /** Response keys below which more personal values can be. */
  readonly children: ReadonlyArray<{ readonly key: string; readonly plan: ObjectPlan }>;
}

/**
 * Decided once per document and operation (an LRU, like graphql-jit's
 * compiled operations): the document the executor runs (the client's, with
 * the owner tag added where personal values are selected) and the plan of
 * the walk that decides them. `walk: null` when the operation selects no
 * personal value. `fallback` when the plan cannot be used (introspection,
 * an abstract type): the operation runs on the schema whose personal fields
 * each decide themselves.
 */
export type ResponsePlan =
  | { readonly kind: 'walked'; readonly document: DocumentNode; readonly walk: ObjectPlan | null }
  | { readonly kind: 'fallback' };

export const RESPONSE_PLAN_CACHE_SIZE = 1_000;

/** Plans by document and operation name (PlanCache). */
export class ResponsePlans {
  private readonly plans = new PlanCache<ResponsePlan>(RESPONSE_PLAN_CACHE_SIZE);

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly walked: WalkedFields,
  ) {}

  planFor(document: DocumentNode, queryHash: string, operationName: string | null): ResponsePlan {
    return this.plans.get(document, queryHash, operationName, '', () => buildResponsePlan(this.schema, this.walked, document, operationName));
  }
}

/** The personal fields the walk decides, by `Type.field`: plain values (scalars and lists of them). */
export type WalkedFields = ReadonlyMap<string, Omit<WalkedValue, 'key' | 'locations'>>;

export function walkedFieldsOf(classification: Classification): WalkedFields {
  const walked = new Map<string, Omit<WalkedValue, 'key' | 'locations'>>();
  for (const [coordinate, field] of classification) {
    // An object decided whole (an address) is masked leaf by leaf under its field names, so its resolver decides it.
    if (field.kind === 'value' && field.shape !== 'object') walked.set(coordinate, { piiClass: field.piiClass, shape: field.shape, list: field.list });
  }
  return walked;
}

export function buildResponsePlan(schema: GraphQLSchema, walked: WalkedFields, document: DocumentNode, operationName: string | null): ResponsePlan {
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION && (operationName ? definition.name?.value === operationName : true),
  );
  const root = operation && (operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType());
  if (!operation || !root) return { kind: 'fallback' };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const builder = new PlanBuilder(schema, walked, fragments);
  const walk = builder.objectPlan(root, [operation.selectionSet], 0);
  if (builder.unplannable) return { kind: 'fallback' };
  return { kind: 'walked', document: walk ? withOwnerTagSelections(schema, walked, document) : document, walk };
}

/** Deeper than any operation the depth limit lets through (docs/security.md); a backstop against fragment cycles. */
const MAX_PLAN_DEPTH = 64;

class PlanBuilder {
  unplannable = false;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly walked: WalkedFields,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  ) {}

  /** The plan of an object of `type` answering these selection sets (merged as the executor merges them), or null when nothing below is personal. */
  objectPlan(type: GraphQLObjectType, selectionSets: readonly SelectionSetNode[], depth: number): ObjectPlan | null {
    if (depth > MAX_PLAN_DEPTH) {
      this.unplannable = true;
      return null;
    }
    const fields = new Map<string, FieldNode[]>();
    for (const selectionSet of selectionSets) this.collect(type, selectionSet, fields);
    const values: WalkedValue[] = [];
    const children: Array<{ key: string; plan: ObjectPlan }> = [];
    for (const [key, nodes] of fields) {
      const name = nodes[0]!.name.value;
      if (key === OWNER_KEY) {
        this.unplannable = true; // the client's own alias would collide with the tag
        return null;
      }
      if (name === '__schema' || name === '__type') {
        this.unplannable = true;
        return null;
      }
      if (name.startsWith('__')) continue;
      const value = this.walked.get(`${type.name}.${name}`);
      if (value) {
        values.push({ ...value, key, locations: fieldLocations(nodes[0]!) });
        continue;
      }
      const definition = type.getFields()[name];
      if (!definition) continue;
      const inner = getNamedType(definition.type);
      if (!isCompositeType(inner)) continue;
      if (isAbstractType(inner) || !isObjectType(inner)) {
        this.unplannable = true;
        return null;
      }
      const inside = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
      const plan = this.objectPlan(inner, inside, depth + 1);
      if (plan) children.push({ key, plan });
    }
    return values.length > 0 || children.length > 0 ? { values, children } : null;
  }

  private collect(type: GraphQLObjectType, selectionSet: SelectionSetNode, into: Map<string, FieldNode[]>): void {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const known = into.get(key);
        if (known) known.push(selection);
        else into.set(key, [selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!selection.typeCondition || this.applies(selection.typeCondition.name.value, type)) this.collect(type, selection.selectionSet, into);
      } else {
        const fragment = this.fragments.get(selection.name.value);
        if (fragment && this.applies(fragment.typeCondition.name.value, type)) this.collect(type, fragment.selectionSet, into);
      }
    }
  }

  private applies(condition: string, type: GraphQLObjectType): boolean {
    const named = this.schema.getType(condition);
    if (named === type) return true;
    if (named && isAbstractType(named)) this.unplannable = true;
    return false;
  }
}

/**
 * The client's document with the owner tag added to every selection set that
 * directly selects a walked personal value (fragments and inline fragments
 * included: the executor merges them into the same object).
 */
function withOwnerTagSelections(schema: GraphQLSchema, walked: WalkedFields, document: DocumentNode): DocumentNode {
  const tag = (name: string): FieldNode => ({ kind: Kind.FIELD, alias: { kind: Kind.NAME, value: OWNER_KEY }, name: { kind: Kind.NAME, value: name } });
  const tags: Record<string, FieldNode> = { [OWNER_KEY]: tag(OWNER_KEY), [OWNER_ID_FIELD]: tag(OWNER_ID_FIELD) };
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet: {
        leave(node) {
          const type = typeInfo.getParentType()?.name;
          const selectsWalked = node.selections.some((selection) => selection.kind === Kind.FIELD && walked.has(`${type}.${selection.name.value}`));
          return selectsWalked ? { ...node, selections: [...node.selections, tags[ownerFieldOf(type)]!] } : undefined;
        },
      },
    }),
  );
}

/**
 * What the tag of an object is: its owner's id, the ids of the customers a
 * model about several of them belongs to, `true` for a write's echo of its
 * own outcome (decided by no one: setConsent's Consent), or null for an
 * object that names no owner (decided as an unknown customer).
 */
export type OwnerTag = string | readonly string[] | true | null;

export function ownerTag(source: unknown): OwnerTag {
  if (source === null || typeof source !== 'object') return null;
  if (isWriteOutcome(source)) return true;
  const { ownerIds, ownerId, record } = source as { ownerIds?: unknown; ownerId?: unknown; record?: { id?: unknown } };
  if (Array.isArray(ownerIds) && ownerIds.length > 0) return ownerIds as string[];
  if (typeof ownerId === 'string') return ownerId;
  return typeof record?.id === 'string' ? record.id : null;
}

/**
 * The schema the executor runs for walked operations: every object type
 * with a walked personal field gains the owner tag field (of a scalar that
 * passes the tag through). On a type whose models carry `ownerId`
 * (OWNER_ID_TYPES) it is that property, read with no resolver (graphql-jit
 * reads it inline, where a resolver costs a resolve info per object of a
 * list); on the others it resolves with ownerTag. Added after the scope
 * checks (the tag is the gateway's own and checked by no scope) and never
 * part of the API schema Apollo validates and introspects against.
 */
export function withOwnerTags(schema: GraphQLSchema, walked: WalkedFields): GraphQLSchema {
  const tagged = [...new Set([...walked.keys()].map((coordinate) => coordinate.slice(0, coordinate.indexOf('.'))))];
  for (const name of tagged) {
    const type = schema.getType(name);
    if (isObjectType(type) && type.getFields()[ownerFieldOf(name)]) throw new Error(`${name} already has a field named like its owner tag`);
  }
  const extension = parse(`scalar ${OWNER_SCALAR}\n${tagged.map((type) => `extend type ${type} { ${ownerFieldOf(type)}: ${OWNER_SCALAR} }`).join('\n')}`);
  const extended = extendSchema(schema, extension, { assumeValidSDL: true });
  for (const name of tagged) {
    const type = extended.getType(name);
    const field = isObjectType(type) ? type.getFields()[ownerFieldOf(name)] : undefined;
    if (!field) throw new Error(`owner tag missing on ${name}`);
    if (!OWNER_ID_TYPES.has(name)) field.resolve = ownerTag;
  }
  return extended;
}
