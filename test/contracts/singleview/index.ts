import type { RoleSuite } from './harness.js';
import { apiKeyContract } from './apiKeys.contract.js';
import { auditContract } from './audit.contract.js';
import { bulkLoadContract } from './bulkLoad.contract.js';
import { consentHistoryContract } from './consentHistory.contract.js';
import { customerReadContract } from './customerReads.contract.js';
import { customerWriteContract } from './customerWrites.contract.js';
import { erasureContract } from './erasure.contract.js';
import { eventContract } from './events.contract.js';
import { idempotencyContract } from './idempotency.contract.js';
import { identityIndexContract } from './identityIndex.contract.js';
import { identityLogContract } from './identityLog.contract.js';
import { lifecycleContract } from './lifecycle.contract.js';
import { jobContract } from './jobs.contract.js';
import { mergeSuggestionContract } from './mergeSuggestions.contract.js';
import { segmentIndexContract } from './segmentIndex.contract.js';

export { runRoleContract } from './harness.js';
export type { SingleViewAdapter } from './harness.js';

/** One contract suite per role port of the single view (connectors/singleview/port.ts). */
export const SINGLE_VIEW_ROLE_CONTRACTS: ReadonlyArray<RoleSuite> = [
  customerReadContract,
  customerWriteContract,
  identityIndexContract,
  eventContract,
  idempotencyContract,
  consentHistoryContract,
  identityLogContract,
  auditContract,
  apiKeyContract,
  erasureContract,
  mergeSuggestionContract,
  jobContract,
  segmentIndexContract,
  bulkLoadContract,
  lifecycleContract,
];
