import { SpanStatusCode } from '@opentelemetry/api';
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { GatewayContext } from '../context.js';
import { tagErrorsWithTraceId } from './errorTraceIds.js';

/**
 * Names and ends the operation span that the context opened, and hands its
 * trace id back in `extensions.traceId` so a client can quote it to support.
 * Span attributes carry the operation's name and type, never variables.
 */
export function telemetryPlugin(): ApolloServerPlugin<GatewayContext> {
  // One listener for every request: each hook finds the request's span on its context.
  const listener: GraphQLRequestListener<GatewayContext> = {
    async didResolveOperation({ operationName, operation, contextValue: { span } }) {
      // A span that records nothing (no exporter) takes no name nor attributes: none are built for it.
      if (!span.isRecording()) return;
      const name = operationName ?? 'anonymous';
      const type = operation?.operation ?? 'unknown';
      span.updateName(`graphql.${type} ${name}`);
      span.setAttribute('graphql.operation.name', name);
      span.setAttribute('graphql.operation.type', type);
    },
    async didEncounterErrors({ errors, contextValue }) {
      tagErrorsWithTraceId(errors, contextValue.traceId);
    },
    async willSendResponse({ response, errors, contextValue: { span, traceId } }) {
      if (response.body.kind === 'single') {
        response.body.singleResult.extensions = { ...response.body.singleResult.extensions, traceId };
      }
      if (!span.isRecording()) return;
      const count = errors?.length ?? 0;
      span.setAttribute('graphql.errors', count);
      span.setStatus(count > 0 ? { code: SpanStatusCode.ERROR, message: `${count} error(s)` } : { code: SpanStatusCode.OK });
      span.end();
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
