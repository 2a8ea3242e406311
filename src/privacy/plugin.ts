import { randomUUID } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { AuditRecordModel } from '../../connectors/singleview/port.js';
import type { GatewayContext } from '../context.js';
import { piiAccessDenied, safeErrorDetail } from '../errors.js';
import type { AuditWriter } from './auditWriter.js';
import { comparePaths, replaceAtPath } from './ledger.js';
import type { FieldOutcome, PrivacyLedger } from './ledger.js';

/**
 * The last step before a response leaves: if it released personal data,
 * the audit record is written first; if that write fails, every released
 * value is taken back out (null with PII_ACCESS_DENIED, reason
 * AUDIT_UNAVAILABLE), so nothing personal leaves unaudited. Then the
 * response gets `extensions.privacy`.
 */
export function privacyPlugin(auditWriter: AuditWriter): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue, operation, operationName }) {
          const ledger = contextValue.privacy;
          if (!ledger.touched || response.body.kind !== 'single') return;
          const result = response.body.singleResult;
          if (ledger.releases.length > 0) {
            const record = auditRecord(contextValue, ledger, `${operation?.operation ?? 'query'} ${operationName ?? 'anonymous'}`);
            try {
              await auditWriter.write(record, contextValue.span);
            } catch (error) {
              contextValue.logger.error(
                { err: safeErrorDetail(error), fields: ledger.releases.length },
                'audit write failed; personal fields withheld (fail closed)',
              );
              const withdrawn = ledger.revokeReleases('AUDIT_UNAVAILABLE');
              result.errors = [...(result.errors ?? []), ...withdrawn.map((outcome) => stripFromResult(result, outcome, ledger))];
            }
          }
          // Read extensions after the await: other plugins add theirs (traceId) meanwhile.
          result.extensions = { ...response.body.singleResult.extensions, privacy: ledger.extension() };
        },
      };
    },
  };
}

/** Who read what, whose, why and how, for the single view's audit trail. Never a value. */
function auditRecord(ctx: GatewayContext, ledger: PrivacyLedger, operation: string): AuditRecordModel {
  const releases = [...ledger.releases].sort((a, b) => comparePaths(a.path, b.path));
  const customerIds = [...new Set(releases.map((outcome) => outcome.ownerId).filter((id): id is string => id !== undefined))];
  return {
    id: randomUUID(),
    at: new Date().toISOString(),
    principal: ctx.principal.id,
    purpose: ledger.purpose,
    operation,
    customerIds,
    fields: releases.map((outcome) => ({
      path: outcome.path.join('.'),
      piiClass: outcome.piiClass,
      decision: outcome.decision,
      reason: outcome.reason ?? null,
      customerId: outcome.ownerId ?? null,
    })),
    traceId: ctx.traceId,
  };
}

/** Sets the value at `path` to null (when its parent is still there) and returns the field's error. */
function stripFromResult(result: { data?: Record<string, unknown> | null }, outcome: FieldOutcome, ledger: PrivacyLedger): GraphQLFormattedError {
  replaceAtPath(result.data, outcome.path, () => null);
  const error = piiAccessDenied('AUDIT_UNAVAILABLE', outcome.piiClass, ledger.purpose);
  return { message: error.message, path: [...outcome.path], extensions: { ...error.extensions } };
}

