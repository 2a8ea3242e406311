import type { CrmContactRecord, SupportCaseRecord } from '../connectors/crm/port.js';
import type { LoyaltyAccountRecord } from '../connectors/loyalty/port.js';
import type {
  CustomerRecord,
  EventRecord,
  IdentityRecord,
  MergeSuggestionRecord,
  ProfileRecord,
  TraitsRecord,
} from '../connectors/singleview/port.js';
import type { LinkRejection } from './identity/identify.js';
import type { IdentityEdgeRecord, IdentityNodeRecord } from './identity/identityGraph.js';
import type { IdentityLogEntry } from '../connectors/singleview/port.js';

/**
 * What resolvers hand to GraphQL for each type. Every object that carries
 * personal fields knows its owner, the canonical id of the customer it
 * belongs to, so the privacy layer can decide on that customer's consent
 * without the resolvers doing anything.
 */
export interface Owned {
  readonly ownerId: string;
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
export type SupportCaseModel = SupportCaseRecord;

/** acceptMergeSuggestion's answer: the decided suggestion, the customer both now are, and the id absorbed. */
export interface MergeSuggestionResultModel {
  readonly suggestion: MergeSuggestionRecord;
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

/** A customer's identity graph; `log` is the customer's own change log, newest first. */
export interface IdentityGraphModel extends Owned {
  readonly customerId: string;
  readonly nodes: readonly IdentityNodeModel[];
  readonly edges: readonly IdentityEdgeRecord[];
  readonly log: readonly IdentityLogEntry[];
}

export interface LinkExplanationModel {
  readonly sameCustomer: boolean;
  readonly a: { readonly type: IdentityRecord['type']; readonly customerId: string | null; readonly blocked: boolean };
  readonly b: { readonly type: IdentityRecord['type']; readonly customerId: string | null; readonly blocked: boolean };
  readonly nodes: readonly IdentityNodeModel[];
  readonly edges: readonly IdentityEdgeRecord[];
}

/** unmerge's answer: both sides of the split. */
export interface UnmergeResultModel {
  readonly customer: CustomerModel;
  readonly splitCustomer: CustomerModel;
  readonly duplicate: boolean;
}
