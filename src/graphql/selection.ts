import { Kind, getLocation } from 'graphql';
import type { DocumentNode, FieldNode, FragmentDefinitionNode, GraphQLResolveInfo, OperationDefinitionNode, SelectionSetNode, SourceLocation } from 'graphql';

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
 * response key the field is the first node merged there, through inline
 * fragments and spreads (as the response plan and the executors' resolve
 * info name it, so the location is the one a withheld field's error has).
 * Every fragment of a validated document applies where it is spread: the
 * selections it walks are on object types, and a spread whose type could
 * not apply there fails validation. Undefined when the path ends inside a
 * field's value (an event property) or names no field. Paths that differ
 * only in list indexes are walked once.
 */
export function fieldLocator(document: DocumentNode, operation: OperationDefinitionNode): FieldLocator {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  const known = new Map<string, readonly SourceLocation[] | undefined>();
  const locate = (keys: readonly string[]): readonly SourceLocation[] | undefined => {
    let selectionSets: readonly SelectionSetNode[] = [operation.selectionSet];
    let field: FieldNode | undefined;
    for (const key of keys) {
      const nodes: FieldNode[] = [];
      for (const selectionSet of selectionSets) collect(selectionSet, fragments, nodes, new Set());
      const merged = nodes.filter((node) => (node.alias?.value ?? node.name.value) === key);
      field = merged[0];
      if (field === undefined) return undefined;
      selectionSets = merged.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
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
