import { ERASURE_SOURCES } from '../src/erasure/forgetCustomer.js';
import type { ErasureReceiptResolvers } from '../src/generated/graphql.js';

/** A receipt from the erasure job: one status per source, in a fixed order. */
export const ErasureReceipt: ErasureReceiptResolvers = {
  customerId: (job) => job.canonicalId,
  requestedAt: (job) => job.requestedAt,
  completedAt: (job) => job.completedAt ?? null,
  sources: (job) =>
    ERASURE_SOURCES.map((source) => {
      const step = job.sources[source];
      return { source, status: step?.status ?? 'FAILED', detail: step ? (step.detail ?? null) : 'not attempted', progress: step?.progress ?? null };
    }),
};
