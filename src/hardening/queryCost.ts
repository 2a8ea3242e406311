import type { ApolloServerPlugin } from '@apollo/server';
import { getComplexity } from 'graphql-query-complexity';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import type { GatewayContext } from '../context.js';
import { queryTooComplex } from '../errors.js';

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

/**
 * Refuses an operation whose cost is over `max` once its variables are known
 * (a validation rule cannot see them, and `first: $n` needs them). Variables
 * that do not coerce are left to execution, which refuses them before any
 * resolver runs.
 */
export function queryCostPlugin(max: number): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operationName, request }) {
          let cost: number;
          try {
            cost = getComplexity({
              schema,
              query: document,
              operationName: operationName ?? undefined,
              variables: request.variables ?? {},
              estimators: [listWeightEstimator],
            });
          } catch (error) {
            if ((error as Error).message === NODE_BUDGET_MESSAGE) throw queryTooComplex(`Cost limit of ${max} exceeded.`, 'cost', max);
            return;
          }
          if (cost > max) throw queryTooComplex(`Cost limit of ${max} exceeded, found ${cost}.`, 'cost', max, { cost });
        },
      };
    },
  };
}
