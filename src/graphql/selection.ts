import { getLocation } from 'graphql';
import type { FieldNode, FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode, SourceLocation } from 'graphql';

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
