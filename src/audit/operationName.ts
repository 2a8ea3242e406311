import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from '../context.js';
import { ErrorCode } from '../errors.js';
import { refusal } from '../hardening/refusals.js';
import { MAX_OPERATION_LENGTH } from './records.js';

/**
 * The operation name goes into every audit record of the request, so it is
 * bounded: a name over MAX_OPERATION_LENGTH characters is refused with HTTP
 * 400 BAD_USER_INPUT before anything runs (a 90 KB name would otherwise ride
 * into every record of the request, and into the store's write batches).
 */
export function checkOperationName(name: string | null | undefined): void {
  if (typeof name === 'string' && name.length > MAX_OPERATION_LENGTH) {
    throw new GraphQLError(`The operation name is longer than ${MAX_OPERATION_LENGTH} characters; use a shorter name.`, {
      extensions: { code: ErrorCode.BAD_USER_INPUT, field: 'operationName', http: { status: 400 } },
    });
  }
}

export function operationNamePlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ request }) {
      // Named in the request body: refused before parsing (see src/hardening/refusals.ts for how it is answered).
      try {
        checkOperationName(request.operationName);
      } catch (error) {
        throw refusal(error as GraphQLError);
      }
      return {
        // Named only in the document.
        async didResolveOperation({ operation }) {
          checkOperationName(operation?.name?.value);
        },
      };
    },
  };
}
