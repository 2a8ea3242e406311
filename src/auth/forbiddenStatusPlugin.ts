import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../context.js';
import { ErrorCode } from '../errors.js';

/**
 * DESIGN.md: 403 when no part of the request can be answered. That is the
 * case when every root field came back null and every error is FORBIDDEN.
 */
export function forbiddenStatusPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          if (!errors?.length || !errors.every((error) => error.extensions?.code === ErrorCode.FORBIDDEN)) return;
          if (data === undefined || data === null || Object.values(data).every((value) => value === null)) response.http.status = 403;
        },
      };
    },
  };
}
