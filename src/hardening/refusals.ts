import { SpanStatusCode } from '@opentelemetry/api';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import type { GatewayContext } from '../context.js';

const refused = new WeakSet<Error>();

/** Marks an error thrown before parsing as a deliberate refusal of the request, to be answered as it is. */
export function refusal<E extends GraphQLError>(error: E): E {
  refused.add(error);
  return error;
}

/**
 * Apollo Server answers an error thrown from `requestDidStart` or
 * `didResolveSource` with a bare 500 "Internal server error", unless a
 * plugin's `unexpectedErrorProcessingRequest` throws another error: that one
 * is formatted (formatError) and answered with the HTTP status and headers in
 * its `extensions.http`. Refusals (rate limit, token limit, trusted
 * documents) are handed back this way. `willSendResponse` never runs on this
 * path, so the request's span is ended here.
 */
export function refusalPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async unexpectedErrorProcessingRequest({ requestContext, error }) {
      if (!refused.has(error)) return;
      const code = String((error as GraphQLError).extensions.code);
      const { span } = requestContext.contextValue;
      span.setAttribute('c360.refused', code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: code });
      span.end();
      throw error;
    },
  };
}
