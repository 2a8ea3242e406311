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

/** An LRU of plans by key (document hash, operation name and whatever else the plan depends on). */
export class PlanCache<P> {
  private readonly plans: LRUCache<string, { plan: P }>;

  constructor(max = OPERATION_PLAN_CACHE_SIZE) {
    this.plans = new LRUCache({ max });
  }

  get(key: string, make: () => P): P {
    const known = this.plans.get(key);
    if (known) return known.plan;
    const plan = make();
    this.plans.set(key, { plan });
    return plan;
  }
}
