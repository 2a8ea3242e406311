import type { CrmContactRecord, SupportCaseRecord } from '../connectors/crm/port.js';
import type { LoyaltyAccountRecord } from '../connectors/loyalty/port.js';
import type {
  CustomerRecord,
  EventRecord,
  IdentityRecord,
  ProfileRecord,
  TraitsRecord,
} from '../connectors/singleview/port.js';
import type { LinkRejection } from './identity/identify.js';

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

/** identify's answer: the surviving customer, what it absorbed and what it refused. */
export interface IdentifyResultModel {
  readonly customer: CustomerModel;
  readonly merged: readonly string[];
  readonly rejectedLinks: readonly LinkRejection[];
}
