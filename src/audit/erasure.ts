import type { ErasureSourceRecord, SuppressionRecord } from '../domain/index.js';
import type { AuditDetail } from './records.js';

/**
 * The record of an erasure request (forgetCustomer, a repeat too), on the
 * erased customer's trail: whether it is complete and each source's status,
 * never a personal value. Erasure keeps the audit trail: it is the proof
 * that the request was carried out.
 */
export function erasureRecord(
  customerId: string,
  sources: Readonly<Record<string, ErasureSourceRecord | undefined>>,
  sourceOrder: readonly string[],
  completed: boolean,
): { customerId: string; detail: AuditDetail } {
  const statuses = Object.fromEntries(sourceOrder.map((source) => [`source.${source}`, sources[source]?.status ?? 'FAILED']));
  return { customerId, detail: { change: 'erasure', completed: completed ? 'true' : 'false', ...statuses } };
}

/**
 * The record of a lifted suppression (liftSuppression). It names an
 * identifier, not a customer; it is filed on the trail of the erased
 * customer the suppression entry came from, beside that customer's erasure
 * records, so `auditTrail` of the erased id shows the erasure and every
 * later lift. Only the identifier's type and when it was suppressed, never
 * its value or hash.
 */
export function suppressionLiftRecord(lifted: SuppressionRecord): { customerId: string; detail: AuditDetail } {
  return { customerId: lifted.customerId, detail: { change: 'liftSuppression', identityType: lifted.identityType, suppressedAt: lifted.suppressedAt } };
}
