import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { GatewayContext } from '../context.js';
import { ErrorCode } from '../errors.js';

/** The HTTP status of a request refused as a whole, by the one error code all its errors share. */
const WHOLE_REQUEST_STATUS: Readonly<Record<string, number>> = {
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.IDEMPOTENCY_KEY_REUSED]: 409,
};

/**
 * The contract's statuses when no part of the request can be answered:
 * every root field came back null and every error has the same code, 403
 * for FORBIDDEN, 409 for IDEMPOTENCY_KEY_REUSED.
 */
export function forbiddenStatusPlugin(): ApolloServerPlugin<GatewayContext> {
  // One listener for every request: nothing is kept per request.
  const listener: GraphQLRequestListener<GatewayContext> = {
    async willSendResponse({ response }) {
      if (response.body.kind !== 'single') return;
      const { data, errors } = response.body.singleResult;
      const code = errors?.[0]?.extensions?.code;
      const status = typeof code === 'string' ? WHOLE_REQUEST_STATUS[code] : undefined;
      if (status === undefined || !errors!.every((error) => error.extensions?.code === code)) return;
      if (data === undefined || data === null || Object.values(data).every((value) => value === null)) response.http.status = status;
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
