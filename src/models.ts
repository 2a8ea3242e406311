import type { CrmContactRecord, SupportCaseRecord } from '../connectors/crm/port.js';
import type { LoyaltyAccountRecord } from '../connectors/loyalty/port.js';
import type { ConsentChangeRecord, ConsentRecord, CustomerRecord, EventRecord, IdentityLogEntry, IdentityLogKind, IdentityRecord, IdentityType, MatchEvidenceRecord, MergeSuggestionRecord, ProfileRecord, SegmentMembershipRecord, TraitsRecord } from './domain/index.js';
import type { LinkRejection } from './identity/identify.js';
import type { IdentityEdgeRecord, IdentityNodeRecord } from './identity/graphView.js';

/**
 * What resolvers hand to GraphQL for each type. Every object that carries
 * personal fields knows its owner, the canonical id of the customer it
 * belongs to, so the privacy layer can decide on that customer's consent
 * and file the release in that customer's audit trail, without the
 * resolvers doing anything. A Customer's owner is its record's id.
 */
export interface Owned {
  readonly ownerId: string;
}

/**
 * The GraphQL types whose every model is Owned and nothing else (no
 * WriteOutcome, not co-owned, `ownerId` never optional), by the mappers in
 * codegen.yml, so their owner is the model's own `ownerId` property: the
 * privacy walk's owner tag on them is a plain field read, with no resolver
 * (src/privacy/responsePlan.ts). src/privacy/responseWalk.test.ts checks
 * this list against the mappers.
 */
export const OWNER_ID_TYPES: ReadonlySet<string> = new Set([
  'Profile',
  'Identity',
  'Event',
  'Traits',
  'LoyaltyAccount',
  'CrmRecord',
  'SupportCase',
  'SegmentMembership',
  'ConsentChange',
  'IdentityNode',
  'IdentityEdge',
  'IdentityChange',
  'IdentityGraph',
  'SegmentMemberEdge',
]);

/**
 * Marks a value a mutation answers with that only echoes the caller's own
 * write (setConsent's Consent): it needs no read scope and no purpose, as
 * the write's own outcome. Only a mutation resolver sets it.
 */
export const WRITE_OUTCOME: unique symbol = Symbol('c360.writeOutcome');
export interface WriteOutcome {
  readonly [WRITE_OUTCOME]: true;
}

export function writeOutcome<T extends object>(value: T): T & WriteOutcome {
  return { ...value, [WRITE_OUTCOME]: true };
}

export function isWriteOutcome(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Partial<WriteOutcome>)[WRITE_OUTCOME] === true;
}

export interface CustomerModel {
  readonly record: CustomerRecord;
}

export type ProfileModel = ProfileRecord & Owned;
export type IdentityModel = IdentityRecord & Owned;
export type EventModel = EventRecord & Owned;
export type TraitsModel = TraitsRecord & Owned;
export type LoyaltyAccountModel = LoyaltyAccountRecord & Owned;
export type CrmRecordModel = CrmContactRecord & Owned;
export type SupportCaseModel = SupportCaseRecord & Owned;
export type SegmentMembershipModel = SegmentMembershipRecord & Owned;
export type ConsentChangeModel = ConsentChangeRecord & Owned;
/** A customer's consent (Customer.consents), or setConsent's echo of the decision it recorded. */
export type ConsentModel = ConsentRecord & (Owned | WriteOutcome);

/**
 * A model about several customers at once (a merge suggestion): its personal
 * fields are decided for each of them and their releases filed on each one's
 * audit trail. `ownerIds` are the customers' current canonical ids.
 */
export interface CoOwned {
  readonly ownerIds: readonly string[];
}

export type MergeSuggestionModel = MergeSuggestionRecord & CoOwned;
export type MatchEvidenceModel = MatchEvidenceRecord & CoOwned;

/** acceptMergeSuggestion's answer: the decided suggestion, the customer both now are, and the id absorbed. */
export interface MergeSuggestionResultModel {
  readonly suggestion: MergeSuggestionModel;
  readonly customer: CustomerModel;
  readonly merged: readonly string[];
}

/** identify's answer: the surviving customer, what it absorbed and what it refused. */
export interface IdentifyResultModel {
  readonly customer: CustomerModel;
  readonly merged: readonly string[];
  readonly rejectedLinks: readonly LinkRejection[];
}

export type IdentityNodeModel = IdentityNodeRecord & Owned;
export type IdentityEdgeModel = IdentityEdgeRecord & Owned;

/** One entry of a customer's identity change log as IdentityGraph.changes answers it. */
export interface IdentityChangeModel extends Owned {
  /** The log's kind as the schema's IdentityChangeKind spells it. */
  readonly kind: Uppercase<IdentityLogKind>;
  readonly rule: string;
  readonly at: string;
  readonly identityTypes: readonly IdentityType[];
  readonly nodes: readonly string[];
  readonly otherCustomerId: string | null;
  readonly principal: string | null;
  readonly traceId: string | null;
}

/** A customer's identity graph; `log` is the customer's own change log, newest first. */
export interface IdentityGraphModel extends Owned {
  readonly customerId: string;
  readonly nodes: readonly IdentityNodeModel[];
  readonly edges: readonly IdentityEdgeModel[];
  readonly log: readonly IdentityLogEntry[];
}

/** One side of explainLink; owned by the customer holding the identifier, unowned when nobody does. */
export interface ExplainedIdentifierModel {
  readonly type: IdentityRecord['type'];
  readonly customerId: string | null;
  readonly blocked: boolean;
  readonly ownerId?: string | undefined;
}

/** Owned by the customer holding `a` (or `b` when nobody holds `a`). */
export interface LinkExplanationModel {
  readonly sameCustomer: boolean;
  readonly a: ExplainedIdentifierModel;
  readonly b: ExplainedIdentifierModel;
  readonly nodes: readonly IdentityNodeModel[];
  readonly edges: readonly IdentityEdgeModel[];
  readonly ownerId?: string | undefined;
}

/** unmerge's answer: both sides of the split. */
export interface UnmergeResultModel {
  readonly customer: CustomerModel;
  readonly splitCustomer: CustomerModel;
  readonly duplicate: boolean;
}

/** One member of a segment as the index lists it: the customer is loaded by Customer's own resolvers; `since` is the member's. */
export interface SegmentMemberEdgeModel extends Owned {
  readonly cursor: string;
  readonly customerId: string;
  readonly since: string;
}
