import type { AuditRecordModel, IdentityKey, SuppressionRecord } from '../../connectors/singleview/port.js';
import { newToken } from '../identity/ids.js';
import { GuardedStore } from '../identity/store.js';
import type { ErasureRequest, ErasureServices } from './forgetCustomer.js';

/**
 * An operator takes an identifier off the suppression list (docs/erasure.md):
 * `identify` and `track` accept it again, as a new person. Audited under the
 * erased customer the entry came from, with the identifier's type only.
 * Resolves to the entry that was lifted, or null when the identifier was not
 * suppressed (nothing to audit).
 */
export async function liftSuppression(services: ErasureServices, identity: IdentityKey, request: ErasureRequest): Promise<SuppressionRecord | null> {
  const lifted = await services.suppressions.lift(identity, request.span);
  if (!lifted) return null;
  const record = liftSuppressionAuditRecord(lifted, request, services.clock().toISOString());
  const store = new GuardedStore(services.sources.singleView, services.sources.guards.singleview, request.span);
  await store.write('appendAudit', (o) => services.sources.singleView.appendAudit(record, o));
  return lifted;
}

/** The audit record of a lifted suppression: who, when, whose entry and the identifier's type, never its value or hash. */
export function liftSuppressionAuditRecord(lifted: SuppressionRecord, request: ErasureRequest, at: string): AuditRecordModel {
  return {
    id: newToken(),
    at,
    principal: request.principal,
    purpose: request.purpose,
    operation: 'liftSuppression',
    customerIds: [lifted.customerId],
    fields: [],
    traceId: request.traceId,
    detail: { identityType: lifted.identityType, suppressedAt: lifted.suppressedAt },
  };
}
