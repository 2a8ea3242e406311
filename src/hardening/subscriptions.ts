import { GraphQLError } from 'graphql';
import type { RequestCheck } from './checks.js';

/**
 * The gateway serves queries and mutations over HTTP; it has no
 * subscriptions. A subscription operation is the client's mistake, answered
 * HTTP 400 BAD_REQUEST (reason SUBSCRIPTIONS_NOT_SUPPORTED) before
 * execution, where it would otherwise fail as an internal error with a log
 * line and a stack for every attempt.
 */
export function subscriptionRefusalCheck(): RequestCheck {
  return {
    operation({ operation }) {
      // Apollo calls this hook even when no operation matched the operationName (it refuses that afterwards).
      if ((operation as typeof operation | undefined)?.operation !== 'subscription') return;
      throw new GraphQLError('Subscriptions are not supported; send a query or a mutation.', {
        extensions: { code: 'BAD_REQUEST', reason: 'SUBSCRIPTIONS_NOT_SUPPORTED', http: { status: 400 } },
      });
    },
  };
}
