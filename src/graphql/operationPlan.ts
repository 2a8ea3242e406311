import { getNamedType, isAbstractType, isCompositeType, isObjectType } from 'graphql';
import type { DocumentNode, FragmentDefinitionNode, GraphQLCompositeType, GraphQLObjectType, GraphQLSchema, OperationDefinitionNode, SelectionSetNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/**
 * What an operation needs decided once, not per value: computed the first
 * time a document and operation is run for a kind of caller and kept (an
 * LRU, like the compiled operations). Today: whether any field it selects
 * could be refused to the caller, so that the executor runs it against the
 * schema that checks scopes field by field, or against the one that does not
 * (src/graphql/executor.ts). Personal fields are decided by the static table
 * of src/privacy/ (purpose × class, once at start) and, per customer, consent.
 */
export const OPERATION_PLAN_CACHE_SIZE = 1_000;

/** The (type, field) pairs an operation can resolve: every object type a selection can land on, through fragments and abstract types. */
export function selectedCoordinates(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): Array<readonly [string, string]> {
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode =>
      definition.kind === 'OperationDefinition' && (operationName ? definition.name?.value === operationName : true),
  );
  if (!operation) return [];
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!root) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === 'FragmentDefinition') fragments.set(definition.name.value, definition);
  const found = new Map<string, readonly [string, string]>();
  const seen = new Set<string>();
  const walk = (type: GraphQLCompositeType, selectionSet: SelectionSetNode) => {
    const objects: readonly GraphQLObjectType[] = isObjectType(type) ? [type] : isAbstractType(type) ? schema.getPossibleTypes(type) : [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === 'Field') {
        const name = selection.name.value;
        if (name.startsWith('__')) continue;
        for (const object of objects) {
          const field = object.getFields()[name];
          if (!field) continue;
          found.set(`${object.name}.${name}`, [object.name, name]);
          const inner = getNamedType(field.type);
          if (selection.selectionSet && isCompositeType(inner)) visitOnce(inner, selection.selectionSet);
        }
      } else if (selection.kind === 'InlineFragment') {
        const condition = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (condition && isCompositeType(condition)) visitOnce(condition, selection.selectionSet);
      } else {
        const fragment = fragments.get(selection.name.value);
        const condition = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && condition && isCompositeType(condition)) visitOnce(condition, fragment.selectionSet);
      }
    }
  };
  // A selection set reached again under the same type adds nothing (and fragments cannot loop forever).
  const visitOnce = (type: GraphQLCompositeType, selectionSet: SelectionSetNode) => {
    const key = `${type.name}@${selectionSet.loc?.start ?? ''}:${selectionSet.loc?.end ?? ''}:${selectionSet.selections.length}`;
    if (selectionSet.loc && seen.has(key)) return;
    seen.add(key);
    walk(type, selectionSet);
  };
  visitOnce(root, operation.selectionSet);
  return [...found.values()];
}

/** Plans kept for one document object, by operation name and then by whatever else the plan depends on. */
const MAX_PLANS_PER_DOCUMENT = 64;

/**
 * Plans by document, operation and whatever else a plan depends on (a
 * principal's scopes, a schema variant). Apollo Server hands every request
 * of a document it has parsed before the same DocumentNode, from its
 * document store, so a plan is found by that object first, with no string
 * key built and no LRU bookkeeping per request (building the key and the
 * LRU's lookup cost about 1 µs per cache per request, a few per cent of a
 * `{ __typename }`). Behind it, an LRU by the document's hash bounds the
 * plans of documents parsed afresh (Apollo's document store evicted them,
 * or a client sends ever-new ones). What the object holds goes with the
 * document when Apollo's store lets it go, and is bounded per document.
 */
export class PlanCache<P> {
  private readonly plans: LRUCache<string, { plan: P }>;
  private byDocument = new WeakMap<DocumentNode, Map<string, Map<string, P>>>();

  constructor(max = OPERATION_PLAN_CACHE_SIZE) {
    this.plans = new LRUCache({ max });
  }

  /** The plan of `document`'s operation `operationName` for `variant`, made by `make` the first time (queryHash is the document text's hash). */
  get(document: DocumentNode, queryHash: string, operationName: string | null, variant: string, make: () => P): P {
    const operation = operationName ?? '';
    const variants = this.variantsOf(document, operation);
    const known = variants?.get(variant);
    if (known !== undefined) return known;
    const key = `${queryHash}:${operation}:${variant}`;
    let entry = this.plans.get(key);
    if (!entry) {
      entry = { plan: make() };
      this.plans.set(key, entry);
    }
    if (variants && variants.size < MAX_PLANS_PER_DOCUMENT) variants.set(variant, entry.plan);
    return entry.plan;
  }

  /** The plans kept on `document` for one operation, or undefined when the document already holds as many operations as it may. */
  private variantsOf(document: DocumentNode, operation: string): Map<string, P> | undefined {
    let operations = this.byDocument.get(document);
    if (!operations) this.byDocument.set(document, (operations = new Map()));
    let variants = operations.get(operation);
    if (!variants && operations.size < MAX_PLANS_PER_DOCUMENT) operations.set(operation, (variants = new Map()));
    return variants;
  }

  clear(): void {
    this.plans.clear();
    this.byDocument = new WeakMap();
  }
}
