import { Kind, getLocation, getNamedType, isAbstractType, isInterfaceType, isObjectType } from 'graphql';
import type {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLField,
  GraphQLNamedType,
  GraphQLResolveInfo,
  GraphQLSchema,
  NamedTypeNode,
  OperationDefinitionNode,
  SelectionSetNode,
  SourceLocation,
} from 'graphql';

/**
 * Names of the fields selected directly under the current field, through
 * inline fragments and fragment spreads. Lets a root resolver start the
 * source calls the selection will need before it waits for any of them.
 */
export function selectedFieldNames(info: GraphQLResolveInfo): Set<string> {
  return new Set(selectedFields(info).map((node) => node.name.value));
}

/** The field nodes selected directly under the current field, in document order. */
export function selectedFields(info: GraphQLResolveInfo): FieldNode[] {
  const nodes: FieldNode[] = [];
  for (const node of info.fieldNodes) collect(node.selectionSet, info.fragments, nodes, new Set());
  return nodes;
}

function collect(
  selectionSet: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  nodes: FieldNode[],
  visited: Set<string>,
): void {
  for (const selection of selectionSet?.selections ?? []) {
    switch (selection.kind) {
      case 'Field':
        nodes.push(selection as FieldNode);
        break;
      case 'InlineFragment':
        collect(selection.selectionSet, fragments, nodes, visited);
        break;
      case 'FragmentSpread': {
        const name = selection.name.value;
        if (visited.has(name)) break;
        visited.add(name);
        collect(fragments[name]?.selectionSet, fragments, nodes, visited);
        break;
      }
    }
  }
}

/**
 * Where a field is in its document, as an error at it says (`locations`),
 * or undefined for a node without one. Once per node: parsed documents are
 * cached, so the same nodes come back on every request of an operation.
 */
export function fieldLocations(node: FieldNode): readonly SourceLocation[] | undefined {
  let known = locations.get(node);
  if (known === undefined) {
    const source = node.loc?.source;
    known = source && node.loc ? [getLocation(source, node.loc.start)] : null;
    locations.set(node, known);
  }
  return known ?? undefined;
}

const locations = new WeakMap<FieldNode, readonly SourceLocation[] | null>();

/** Where the field at a response path is in its document (FieldLocator). */
export type FieldLocator = (path: ReadonlyArray<string | number>) => readonly SourceLocation[] | undefined;

/**
 * Finds where the field at a response path is in the operation's document,
 * for an error made after execution (a release taken back when its audit
 * could not be written, src/privacy/plugin.ts): nothing is kept per request
 * or per value on the way there, the document is walked when asked. List
 * indexes are skipped (a value in a list item is at its field); at each
 * response key the field is the first node merged there, through fragments
 * whose type condition applies (as the response plan and the executors'
 * resolve info name it, so the location is the one a withheld field's error
 * has). Undefined when the path ends inside a field's value (an event
 * property) or names no field. Paths that differ only in list indexes are
 * walked once.
 */
export function fieldLocator(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): FieldLocator {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const root = schema.getRootType(operation.operation) ?? undefined;
  const known = new Map<string, readonly SourceLocation[] | undefined>();
  const locate = (keys: readonly string[]): readonly SourceLocation[] | undefined => {
    let type: GraphQLNamedType | undefined = root;
    let selectionSets: readonly SelectionSetNode[] = [operation.selectionSet];
    let field: FieldNode | undefined;
    for (const key of keys) {
      const nodes: FieldNode[] = [];
      for (const selectionSet of selectionSets) collectKey(schema, type, selectionSet, key, fragments, nodes, new Set());
      field = nodes[0];
      if (field === undefined) return undefined;
      selectionSets = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
      const definition: GraphQLField<unknown, unknown> | undefined = type && (isObjectType(type) || isInterfaceType(type)) ? type.getFields()[field.name.value] : undefined;
      type = definition ? getNamedType(definition.type) : undefined;
    }
    return field && fieldLocations(field);
  };
  return (path) => {
    // Response keys are GraphQL names (no U+0000 in them); anything after a leaf names no field whatever it holds.
    const keys = path.filter((key): key is string => typeof key === 'string');
    const memo = keys.join('\u0000');
    if (known.has(memo)) return known.get(memo);
    const found = locate(keys);
    known.set(memo, found);
    return found;
  };
}

/** The field nodes at response key `key` of an object of `type` (unknown: every fragment applies), in the order the executor merges them. */
function collectKey(
  schema: GraphQLSchema,
  type: GraphQLNamedType | undefined,
  selectionSet: SelectionSetNode,
  key: string,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  nodes: FieldNode[],
  visited: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if ((selection.alias?.value ?? selection.name.value) === key) nodes.push(selection);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      if (applies(schema, type, selection.typeCondition)) collectKey(schema, type, selection.selectionSet, key, fragments, nodes, visited);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (visited.has(name) || !fragment) continue;
      visited.add(name);
      if (applies(schema, type, fragment.typeCondition)) collectKey(schema, type, fragment.selectionSet, key, fragments, nodes, visited);
    }
  }
}

function applies(schema: GraphQLSchema, type: GraphQLNamedType | undefined, condition: NamedTypeNode | undefined): boolean {
  if (!condition || !type || !isObjectType(type)) return true;
  const named = schema.getType(condition.name.value);
  return named === type || (named !== undefined && isAbstractType(named) && schema.isSubType(named, type));
}
