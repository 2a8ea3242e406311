import type {
  ApolloServerPlugin,
  GraphQLRequestContext,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextDidResolveSource,
  GraphQLRequestListener,
} from '@apollo/server';
import type { GatewayContext } from '../context.js';

/**
 * One protection's checks of a request (docs/security.md), at up to three
 * moments. Each returns to let the request go on and throws to refuse it.
 * None keeps anything per request: what a check needs later it finds on the
 * request context Apollo Server hands every hook.
 */
export interface RequestCheck {
  /**
   * As the request starts, before its document is even parsed. A refusal is
   * thrown marked with `refusal()` (src/hardening/refusals.ts). A promise is
   * returned only when the check has to wait (a rate-limit lease).
   */
  readonly request?: (requestContext: GraphQLRequestContext<GatewayContext>) => void | Promise<void>;
  /** With the source text known, before parsing (the token limit). */
  readonly source?: (requestContext: GraphQLRequestContextDidResolveSource<GatewayContext>) => void;
  /** With the operation resolved and its variables known, before execution. */
  readonly operation?: (requestContext: GraphQLRequestContextDidResolveOperation<GatewayContext>) => void;
}

/**
 * The checks of the gateway's protections as one Apollo Server plugin. Apollo
 * calls every hook of every request listener in every phase of every request
 * (the phases a listener has no hook for included, some one listener after
 * another), so separate plugins cost each request, even a `{ __typename }`
 * that no check refuses, a listener each with its closures and a promise per
 * hook. Here one listener, made once, serves every request, and its hooks
 * run the checks in the order given: the first check that throws refuses the
 * request. A request check that throws still lets the request checks after
 * it run, as separate plugins' did (a rate-limit token is spent whatever
 * refuses the request), and its error wins.
 */
export function requestChecksPlugin(checks: readonly RequestCheck[]): ApolloServerPlugin<GatewayContext> {
  const onRequest = checks.flatMap((check) => (check.request ? [check.request] : []));
  const onSource = checks.flatMap((check) => (check.source ? [check.source] : []));
  const onOperation = checks.flatMap((check) => (check.operation ? [check.operation] : []));
  const listener: GraphQLRequestListener<GatewayContext> = {};
  if (onSource.length > 0) {
    listener.didResolveSource = async (requestContext) => {
      for (const check of onSource) check(requestContext);
    };
  }
  if (onOperation.length > 0) {
    listener.didResolveOperation = async (requestContext) => {
      for (const check of onOperation) check(requestContext);
    };
  }
  return {
    async requestDidStart(requestContext) {
      let refused: { error: unknown } | undefined;
      for (const check of onRequest) {
        try {
          const pending = check(requestContext);
          if (pending) await pending;
        } catch (error) {
          refused ??= { error };
        }
      }
      if (refused) throw refused.error;
      return listener;
    },
  };
}
