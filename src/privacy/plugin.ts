import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { ReleasesByCustomer } from '../audit/index.js';
import type { FieldDecisionRecord } from '../domain/index.js';
import type { GatewayContext } from '../context.js';
import { piiAccessDenied, safeErrorDetail } from '../errors.js';
import { auditPathOf, replaceAtPath } from './ledger.js';
import type { FieldOutcome, PrivacyLedger, ResponsePath } from './ledger.js';

/**
 * The last step before a response leaves: if it released personal data,
 * its audit records are written first (src/audit/); if that write fails,
 * every released value is taken back out (null with PII_ACCESS_DENIED,
 * reason AUDIT_UNAVAILABLE), so nothing personal leaves unaudited. Then the
 * response gets an error for each withheld event property (which no
 * resolver threw) and `extensions.privacy`.
 */
export function privacyPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue, operation, operationName }) {
          const ledger = contextValue.privacy;
          if (ledger.walkPending && response.body.kind === 'single') {
            // The operation ran but its personal values were never walked: nothing of its data leaves (fail closed).
            ledger.walkPending = false;
            const result = response.body.singleResult;
            result.data = null;
            result.errors = [...(result.errors ?? []), { message: 'Personal data could not be decided; nothing was released.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }];
          }
          if (!ledger.touched || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (ledger.releasedAny) {
            const actor = {
              principal: contextValue.principal.id,
              purpose: ledger.purpose,
              traceId: contextValue.traceId,
              operation: `${operation?.operation ?? 'query'} ${operationName ?? 'anonymous'}`,
            };
            try {
              await contextValue.services.audit.reads(actor, releasesByCustomer(ledger.releases), contextValue.span);
            } catch (error) {
              contextValue.logger.error(
                { err: safeErrorDetail(error), fields: ledger.releases.length },
                'audit write failed; personal fields withheld (fail closed)',
              );
              const withdrawn = ledger.revokeReleases('AUDIT_UNAVAILABLE');
              const kept = (result.errors ?? []).filter((e) => !e.path || !withdrawn.some((outcome) => isBelow(e.path!, outcome.path)));
              result.errors = [...kept, ...withdrawn.map((outcome) => stripFromResult(result, outcome, ledger))];
            }
          }
          const inside = ledger.withheldInsideValues.map((outcome) => withheldError(outcome, ledger));
          if (inside.length > 0) result.errors = [...(result.errors ?? []), ...inside];
          // Read extensions after the await: other plugins add theirs (traceId) meanwhile.
          result.extensions = { ...response.body.singleResult.extensions, privacy: ledger.extension() };
        },
      };
    },
  };
}

/** The releases as the audit stores them, by owner: one object per field, in the order they were recorded. */
function releasesByCustomer(releases: readonly FieldOutcome[]): ReleasesByCustomer {
  const byCustomer = new Map<string | undefined, FieldDecisionRecord[]>();
  let owner: string | undefined;
  let fields: FieldDecisionRecord[] | undefined;
  for (const outcome of releases) {
    if (fields === undefined || outcome.ownerId !== owner) {
      owner = outcome.ownerId;
      fields = byCustomer.get(owner);
      if (!fields) byCustomer.set(owner, (fields = []));
    }
    fields.push({ path: auditPathOf(outcome), piiClass: outcome.piiClass, decision: outcome.decision, reason: outcome.reason ?? null });
  }
  return byCustomer;
}

/** Sets the value at `path` to null (when its parent is still there) and returns the field's error. */
function stripFromResult(result: { data?: Record<string, unknown> | null }, outcome: FieldOutcome, ledger: PrivacyLedger): GraphQLFormattedError {
  replaceAtPath(result.data, outcome.path, () => null);
  return withheldError(outcome, ledger);
}

function withheldError(outcome: FieldOutcome, ledger: PrivacyLedger): GraphQLFormattedError {
  const error = piiAccessDenied(outcome.reason ?? 'POLICY_DENIES', outcome.piiClass, ledger.purpose);
  return { message: error.message, path: [...outcome.path], extensions: { ...error.extensions } };
}

/** Whether `path` lies strictly inside `ancestor`. */
function isBelow(path: ReadonlyArray<string | number>, ancestor: ResponsePath): boolean {
  return path.length > ancestor.length && ancestor.every((key, i) => path[i] === key);
}
