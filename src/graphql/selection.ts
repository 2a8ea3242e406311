import type { FieldNode, FragmentDefinitionNode, GraphQLResolveInfo, SelectionSetNode } from 'graphql';

/**
 * Names of the fields selected directly under the current field, through
 * inline fragments and fragment spreads. Lets a root resolver start the
 * source calls the selection will need before it waits for any of them.
 */
export function selectedFieldNames(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  for (const node of info.fieldNodes) collect(node.selectionSet, info.fragments, names, new Set());
  return names;
}

function collect(
  selectionSet: SelectionSetNode | undefined,
  fragments: Record<string, FragmentDefinitionNode>,
  names: Set<string>,
  visited: Set<string>,
): void {
  for (const selection of selectionSet?.selections ?? []) {
    switch (selection.kind) {
      case 'Field':
        names.add((selection as FieldNode).name.value);
        break;
      case 'InlineFragment':
        collect(selection.selectionSet, fragments, names, visited);
        break;
      case 'FragmentSpread': {
        const name = selection.name.value;
        if (visited.has(name)) break;
        visited.add(name);
        collect(fragments[name]?.selectionSet, fragments, names, visited);
        break;
      }
    }
  }
}
