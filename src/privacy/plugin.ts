import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { AuditActor, ReadIntents } from '../audit/index.js';
import { privacyLedgerIfMade } from '../context.js';
import type { GatewayContext } from '../context.js';
import { piiAccessDenied, safeErrorDetail } from '../errors.js';
import { fieldLocator } from '../graphql/selection.js';
import { replaceAtPath } from './ledger.js';
import type { FieldOutcome, PrivacyLedger, ResponsePath } from './ledger.js';

/**
 * The audit of reads and the last step before a response leaves. When an
 * operation that may release personal data starts executing, its read audit
 * begins (src/audit/readAudit.ts): each customer it is about to read gets an
 * intent record written beside the source calls. Before the response leaves,
 * its releases must be covered by durable records (the intents, or the exact
 * records, written then); if they cannot be, every released value is taken
 * back out (null with PII_ACCESS_DENIED, reason AUDIT_UNAVAILABLE, at the
 * field's path and locations), so nothing personal leaves unaudited. Then the response gets an error for
 * each withheld event property (which no resolver threw) and
 * `extensions.privacy`.
 */
export function privacyPlugin(intents?: ReadIntents): ApolloServerPlugin<GatewayContext> {
  // One listener for every request: each hook finds the request's ledger and read audit on its context.
  const listener: GraphQLRequestListener<GatewayContext> = {
    async executionDidStart({ contextValue, document, queryHash, operationName, operation, schema }) {
      if (!contextValue.services.audit.writesIntents) return;
      const intent = intents?.intentFor(schema, document, queryHash, operationName ?? null, contextValue.purpose);
      if (!intent) return;
      contextValue.readAudit = contextValue.services.audit.beginRead(actorOf(contextValue, operation?.operation, operationName), intent, contextValue.span);
    },
    async willSendResponse({ response, contextValue, operation, operationName, document }) {
      // No ledger: nothing personal was decided, so there is nothing to withhold, audit or report.
      const ledger = privacyLedgerIfMade(contextValue);
      const readAudit = contextValue.readAudit;
      if (!ledger) {
        readAudit?.abandon();
        return;
      }
      if (ledger.walkPending && response.body.kind === 'single') {
        // The operation ran but its personal values were never walked: nothing of its data leaves (fail closed).
        ledger.walkPending = false;
        const result = response.body.singleResult;
        result.data = null;
        result.errors = [...(result.errors ?? []), { message: 'Personal data could not be decided; nothing was released.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }];
      }
      if (response.body.kind !== 'single') return;
      if (!ledger.releasedAny) readAudit?.abandon();
      if (!ledger.touched) return;
      const result = response.body.singleResult;
      let withdrawn: readonly FieldOutcome[] = [];
      if (ledger.releasedAny) {
        try {
          // As the ledger keeps them: by owner, each a shared record (nothing copied on the way to the store).
          const releases = ledger.releasesByCustomer;
          if (readAudit) await readAudit.complete(releases);
          else await contextValue.services.audit.reads(actorOf(contextValue, operation?.operation, operationName), releases, contextValue.span);
        } catch (error) {
          contextValue.logger.error(
            { err: safeErrorDetail(error), fields: ledger.releaseCount },
            'audit write failed; personal fields withheld (fail closed)',
          );
          readAudit?.abandon();
          // Each taken back at its field's place in the document, as a withheld field's error says it.
          withdrawn = ledger.revokeReleases('AUDIT_UNAVAILABLE', document && operation ? fieldLocator(document, operation) : undefined);
          const kept = (result.errors ?? []).filter((e) => !e.path || !withdrawn.some((outcome) => isBelow(e.path!, outcome.path)));
          result.errors = [...kept, ...withdrawn.map((outcome) => stripFromResult(result, outcome, ledger))];
        }
      }
      // A withheld field inside a release that was taken back is inside a null now: its own error would name a path that is gone.
      const inside = ledger.withheldInsideValues.filter((outcome) => !withdrawn.some((taken) => isBelow(outcome.path, taken.path))).map((outcome) => withheldError(outcome, ledger));
      if (inside.length > 0) result.errors = [...(result.errors ?? []), ...inside];
      // Read extensions after the await: other plugins add theirs (traceId) meanwhile.
      result.extensions = { ...response.body.singleResult.extensions, privacy: ledger.extension() };
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}

function actorOf(context: GatewayContext, kind: string | undefined, operationName: string | null | undefined): AuditActor {
  return { principal: context.principal.id, purpose: context.purpose, traceId: context.traceId, operation: `${kind ?? 'query'} ${operationName ?? 'anonymous'}` };
}

/** Sets the value at `path` to null (when its parent is still there) and returns the field's error. */
function stripFromResult(result: { data?: Record<string, unknown> | null }, outcome: FieldOutcome, ledger: PrivacyLedger): GraphQLFormattedError {
  replaceAtPath(result.data, outcome.path, () => null);
  return withheldError(outcome, ledger);
}

function withheldError(outcome: FieldOutcome, ledger: PrivacyLedger): GraphQLFormattedError {
  const error = piiAccessDenied(outcome.reason ?? 'POLICY_DENIES', outcome.piiClass, ledger.purpose);
  return { message: error.message, ...(outcome.locations ? { locations: outcome.locations } : {}), path: [...outcome.path], extensions: { ...error.extensions } };
}

/** Whether `path` lies strictly inside `ancestor`. */
function isBelow(path: ReadonlyArray<string | number>, ancestor: ResponsePath): boolean {
  return path.length > ancestor.length && ancestor.every((key, i) => path[i] === key);
}
