import { Kind } from 'graphql';
import type { SelectionSetNode, ValidationContext, ValidationRule } from 'graphql';
import { queryTooComplex } from '../errors.js';

/**
 * At most `max` root fields per operation. Each root field is a separate
 * entry point into the sources, and aliases let one operation repeat a root
 * field with different arguments, so this caps the fan-out of one request
 * that depth and cost limits would let through field by field. Fragments
 * spread at the root count with their fields. (GraphQL Armor has no such rule.)
 */
export function maxRootFieldsRule(max: number): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(operation) {
      const count = countFields(context, operation.selectionSet, new Set());
      if (count > max) {
        context.reportError(queryTooComplex(`Root field limit of ${max} exceeded, found ${count}.`, 'rootFields', max));
      }
    },
  });
}

function countFields(context: ValidationContext, selectionSet: SelectionSetNode, seenFragments: Set<string>): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      count += selection.name.value === '__typename' ? 0 : 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countFields(context, selection.selectionSet, seenFragments);
    } else if (!seenFragments.has(selection.name.value)) {
      seenFragments.add(selection.name.value);
      const fragment = context.getFragment(selection.name.value);
      if (fragment) count += countFields(context, fragment.selectionSet, seenFragments);
    }
  }
  return count;
}
