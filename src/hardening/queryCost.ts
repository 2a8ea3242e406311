import { Kind, visit } from 'graphql';
import type { DocumentNode } from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import { LRUCache } from 'lru-cache';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { queryTooComplex } from '../errors.js';
import type { RequestCheck } from './checks.js';

/** graphql-query-complexity's own error when a document expands past its node budget (fragment bombs). */
const NODE_BUDGET_MESSAGE = 'Query exceeds the maximum allowed number of nodes.';

/**
 * The cost of an operation: every field costs 1, and a field's selection
 * counts once per item it can return when the field says how many — its
 * `first` argument or the length of its `ids` list (defaults apply, so
 * `events` without `first` counts 20). Lists without such an argument
 * (identities, consents, segments) count once: they are small and bounded by
 * the data. Introspection costs nothing here; depth and token limits bound it.
 */
export const listWeightEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  if (type.name.startsWith('__') || field.name.startsWith('__')) return 0;
  return 1 + childComplexity * itemsAsked(args);
};

function itemsAsked(args: Record<string, unknown>): number {
  if (typeof args.first === 'number') return Math.max(1, args.first);
  if (Array.isArray(args.ids)) return Math.max(1, args.ids.length);
  return 1;
}

/** Operations whose cost is kept: as many as the compiled operations (src/graphql/executor.ts). */
const COST_CACHE_SIZE = 1_000;

/** A cost, or why it could not be computed (undefined: left to execution; 'budget': past the node budget). */
type CostOutcome = number | 'budget' | undefined;

/** What a document's cost depends on, worked out once per document (Apollo Server keeps one object per document text). */
interface Weighing {
  readonly names: readonly string[];
  /** The costs of its operations when no variable weighs, by operation name. */
  readonly byOperation: Map<string, { outcome: CostOutcome }>;
}

/**
 * Refuses an operation whose cost is over `max` once its variables are known
 * (a validation rule cannot see them, and `first: $n` needs them). Variables
 * that do not coerce are left to execution, which refuses them before any
 * resolver runs.
 *
 * The cost depends on the document, the operation and only those variables
 * that weigh a list (`first`, the length of `ids`) or skip a selection
 * (`@skip`/`@include`); it is computed once per document, operation and
 * values of those, and kept (an LRU): a call-centre screen asking for
 * customer after customer is weighed once.
 */
export function queryCostCheck(max: number): RequestCheck {
  const costs = new LRUCache<string, { outcome: CostOutcome }>({ max: COST_CACHE_SIZE });
  const weighing = new WeakMap<DocumentNode, Weighing>();
  return {
    operation({ schema, document, operationName, request, queryHash }) {
      const variables = request.variables ?? {};
      let weighed = weighing.get(document);
      if (!weighed) weighing.set(document, (weighed = { names: weighingVariables(document), byOperation: new Map() }));
      // No variable weighs: the cost is the document's (and operation's), kept with the document.
      const kept = weighed.names.length === 0 ? weighed.byOperation : costs;
      const key =
        weighed.names.length === 0 ? (operationName ?? '') : `${queryHash}:${operationName ?? ''}:${weighed.names.map((name) => weight(variables[name])).join(',')}`;
      let known = kept.get(key);
      if (!known) {
        known = { outcome: computeCost(schema, document, operationName, variables) };
        // A cost that could not be computed (variables that do not coerce) is not kept: the next
        // request of the same document and weights, with variables that do, is weighed.
        if (known.outcome !== undefined) kept.set(key, known);
      }
      const cost = known.outcome;
      if (cost === 'budget') throw queryTooComplex(`Cost limit of ${max} exceeded.`, 'cost', max);
      if (cost !== undefined && cost > max) throw queryTooComplex(`Cost limit of ${max} exceeded, found ${cost}.`, 'cost', max, { cost });
    },
  };
}

function computeCost(schema: Parameters<typeof getComplexity>[0]['schema'], document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown>): CostOutcome {
  try {
    return getComplexity({ schema, query: document, operationName: operationName ?? undefined, variables, estimators: [listWeightEstimator] });
  } catch (error) {
    return (error as Error).message === NODE_BUDGET_MESSAGE ? 'budget' : undefined;
  }
}

/** What of a variable's value the cost can see: a list's length, or the value itself (a number, a boolean). */
function weight(value: unknown): string {
  if (Array.isArray(value)) return `#${value.length}`;
  // Anything else that could weigh (a number, a boolean, null) is short; a string or object cannot, but is told apart anyway.
  return typeof value === 'object' && value !== null ? 'o' : JSON.stringify(value) ?? 'u';
}

/** Variables the cost can depend on: used as a `first` or `ids` argument, or as `if` of @skip/@include, anywhere in the document. */
export function weighingVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Field(node) {
      for (const argument of node.arguments ?? []) {
        if ((argument.name.value === 'first' || argument.name.value === 'ids') && argument.value.kind === Kind.VARIABLE) names.add(argument.value.name.value);
      }
    },
    Directive(node) {
      for (const argument of node.arguments ?? []) if (argument.value.kind === Kind.VARIABLE) names.add(argument.value.name.value);
    },
  });
  return [...names].sort();
}
