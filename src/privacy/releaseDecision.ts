import type { ConsentStatus, CustomerRecord, Purpose } from '../domain/index.js';
import type { PiiClass } from '../domain/index.js';
import { oncePerFrozen } from '../../connectors/shared/trustedRecords.js';
import type { PrivacyPolicy } from './policy.js';

/** Why a personal field was withheld or transformed (the contract's reasons, docs/privacy.md). */
export type WithholdReason = 'PURPOSE_REQUIRED' | 'POLICY_DENIES' | 'CONSENT_NOT_GRANTED' | 'NOT_OWN_RECORD' | 'AUDIT_UNAVAILABLE';
export type PrivacyReason = WithholdReason | 'POLICY_MASKS' | 'POLICY_HASHES';

export type ReleaseDecision =
  | { readonly action: 'allow' }
  | { readonly action: 'mask'; readonly reason: 'POLICY_MASKS' }
  | { readonly action: 'hash'; readonly reason: 'POLICY_HASHES' }
  | { readonly action: 'deny'; readonly reason: WithholdReason };

/** What the decision needs to know about the customer a field belongs to. */
export interface OwnerFacts {
  /** The customer's current decision per purpose; a purpose absent here was never granted. */
  readonly consents: ReadonlyMap<Purpose, ConsentStatus>;
  /** The canonical id and every id it absorbed in merges: a token's subject may be any of them. */
  readonly ids: ReadonlySet<string>;
}

export interface DecisionInput {
  readonly policy: PrivacyPolicy;
  readonly purpose: Purpose | null;
  readonly piiClass: PiiClass;
  /** For an end-user token, the signed-in customer; undefined for keys and agents. */
  readonly callerCustomerId: string | undefined;
  /** undefined when the owner could not be read: then nothing that needs its facts is released. */
  readonly owner: OwnerFacts | undefined;
}

const ALLOW: ReleaseDecision = { action: 'allow' };
const MASK: ReleaseDecision = { action: 'mask', reason: 'POLICY_MASKS' };
const HASH: ReleaseDecision = { action: 'hash', reason: 'POLICY_HASHES' };
const deny = (reason: WithholdReason): ReleaseDecision => ({ action: 'deny', reason });

/**
 * The rule of docs/privacy.md ("How a request is decided"), in one place: no purpose, no personal
 * field; a purpose for one's own record reaches no one else's; the policy's
 * action for the class; and, where the purpose rests on consent, the
 * customer's current consent for it must be GRANTED.
 */
export function releaseDecision(input: DecisionInput): ReleaseDecision {
  const { policy, purpose, piiClass, owner } = input;
  if (purpose === null) return deny('PURPOSE_REQUIRED');
  const rule = policy[purpose];
  if (rule.ownRecordOnly && (input.callerCustomerId === undefined || !owner?.ids.has(input.callerCustomerId))) {
    return deny('NOT_OWN_RECORD');
  }
  const action = rule.classes[piiClass];
  if (action === 'deny') return deny('POLICY_DENIES');
  if (rule.consentRequired && owner?.consents.get(purpose) !== 'GRANTED') return deny('CONSENT_NOT_GRANTED');
  switch (action) {
    case 'allow':
      return ALLOW;
    case 'mask':
      return MASK;
    case 'hash':
      return HASH;
  }
}

/** Per class: the decision when it depends on the purpose and class alone, or null when it needs the customer's facts. */
export type PlannedDecisions = Readonly<Record<PiiClass, ReleaseDecision | null>>;

const planned = new WeakMap<PrivacyPolicy, Map<Purpose | null, PlannedDecisions>>();

/**
 * What releaseDecision answers for a purpose and class whatever the
 * customer: no purpose, a class the policy denies (unless the purpose is
 * own-record-only, whose NOT_OWN_RECORD comes first), or a purpose that
 * reads neither consent nor ids. Made once per policy and purpose and
 * shared by every request; null where the customer's facts decide.
 */
export function plannedDecisions(policy: PrivacyPolicy, purpose: Purpose | null): PlannedDecisions {
  let byPurpose = planned.get(policy);
  if (!byPurpose) planned.set(policy, (byPurpose = new Map()));
  const known = byPurpose.get(purpose);
  if (known) return known;
  const row = Object.fromEntries(
    (Object.keys(policy.SUPPORT.classes) as PiiClass[]).map((piiClass) => {
      if (purpose === null) return [piiClass, deny('PURPOSE_REQUIRED')];
      const rule = policy[purpose];
      if (rule.ownRecordOnly) return [piiClass, null];
      if (rule.classes[piiClass] === 'deny') return [piiClass, deny('POLICY_DENIES')];
      if (rule.consentRequired) return [piiClass, null];
      return [piiClass, releaseDecision({ policy, purpose, piiClass, callerCustomerId: undefined, owner: undefined })];
    }),
  ) as Record<PiiClass, ReleaseDecision | null>;
  byPurpose.set(purpose, row);
  return row;
}

/** Whether deciding for this purpose reads the owner's consents or ids at all. */
export function needsOwnerFacts(policy: PrivacyPolicy, purpose: Purpose | null): boolean {
  if (purpose === null) return false;
  const rule = policy[purpose];
  return rule.consentRequired || rule.ownRecordOnly;
}

/** The facts from the customer's single view record; the latest decision per purpose counts. */
export function ownerFactsOf(record: CustomerRecord): OwnerFacts {
  // A trusted in-process store hands out the same frozen record until a write replaces it (connectors/shared/trustedRecords.ts):
  // its facts are worked out once. Any other record (parsed per read) is looked at afresh.
  if (!Object.isFrozen(record.consents)) return factsOf(record);
  return oncePerFrozen(frozenRecordFacts, record, () => factsOf(record));
}

const frozenRecordFacts = new WeakMap<CustomerRecord, OwnerFacts>();

function factsOf(record: CustomerRecord): OwnerFacts {
  const latest = [...record.consents].sort((a, b) => a.updatedAt.localeCompare(b.updatedAt));
  return {
    consents: new Map(latest.map((consent) => [consent.purpose, consent.status])),
    ids: new Set([record.id, ...(record.aliases ?? [])]),
  };
}
