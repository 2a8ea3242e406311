/** The audit trail: one record per request that read or wrote personal data, naming fields and decisions, never values. */
import type { Purpose } from './vocabulary.js';

export interface FieldDecisionRecord {
  readonly path: string;
  readonly piiClass: string;
  readonly decision: string;
  readonly reason?: string | null;
  /** Whose field it was; each customer's trail keeps only that customer's fields. */
  readonly customerId?: string | null;
}

export interface AuditRecordModel {
  readonly id: string;
  readonly at: string;
  readonly principal: string;
  readonly purpose?: Purpose | null;
  readonly operation: string;
  readonly customerIds: readonly string[];
  readonly fields: readonly FieldDecisionRecord[];
  readonly traceId?: string | null;
  /** Counts and types about a write (e.g. an unmerge), never personal values. */
  readonly detail?: Readonly<Record<string, string | number>> | null;
}

export interface AuditPosition {
  readonly at: string;
  readonly id: string;
}

export interface AuditPage {
  readonly records: readonly AuditRecordModel[];
  readonly hasNextPage: boolean;
}
