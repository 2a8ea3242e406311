/**
 * How long the single view keeps what grows without bound: audit records,
 * `track` idempotency keys and events. Each such item carries the expiry
 * attribute `expiresAt` (epoch seconds), which DynamoDB's TTL deletes it by
 * (connectors/singleview/tables.ts enables TTL on it, as does the template
 * in deploy/aws/). 0 days means kept until erased: no expiry attribute.
 */
export interface Retention {
  /** Audit records, from the time of the access (default 400 days). */
  readonly auditDays: number;
  /** `track` idempotency keys, from the claim (default 7 days; at least 1). */
  readonly idempotencyDays: number;
  /** Events, from the time the gateway received them (default 730 days). */
  readonly eventDays: number;
}

export const DEFAULT_RETENTION: Retention = { auditDays: 400, idempotencyDays: 7, eventDays: 730 };

/** The attribute TTL deletes items by, in every table that has one. */
export const EXPIRY_ATTRIBUTE = 'expiresAt';

const DAY_SECONDS = 86_400;

/** Epoch seconds `days` after the ISO time `at`, or undefined when kept (0 days) or `at` is not a time. */
export function expiryOf(at: string, days: number): number | undefined {
  if (days <= 0) return undefined;
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000) + days * DAY_SECONDS;
}

/** Finished background jobs (src/jobs/) are kept this long for their receipts, then expire. */
export const FINISHED_JOB_DAYS = 7;
