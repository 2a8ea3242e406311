/**
 * The single view: the system of record for the canonical customer, its
 * identities, consents, segment memberships and events, the audit trail and
 * API keys. The production adapter is DynamoDB (dynamodb.ts); the embedded
 * default is the same adapter pointed at an in-process dynalite.
 *
 * Batch contract (DataLoader's): a batch method given N keys resolves to N
 * results in the same order, `null` for a key that matches nothing and an
 * `Error` instance for a key that failed on its own. A failure of the whole
 * call rejects the promise.
 */
import type { CallOptions } from '../resilience/callOptions.js';

export type IdentityType =
  | 'ANONYMOUS_ID'
  | 'USER_ID'
  | 'EMAIL'
  | 'PHONE'
  | 'DEVICE_ID'
  | 'CRM_ID'
  | 'LOYALTY_ID';

export type Purpose = 'SUPPORT' | 'MARKETING' | 'ANALYTICS' | 'PERSONALIZATION' | 'FRAUD' | 'SELF_SERVICE';

export type ConsentStatus = 'GRANTED' | 'DENIED';

/** An identifier after normalization (see connectors/resolution/normalize.ts). */
export interface IdentityKey {
  readonly type: IdentityType;
  readonly value: string;
}

export interface IdentityRecord extends IdentityKey {
  readonly source: string;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
}

export interface AddressRecord {
  readonly line1?: string | null;
  readonly city?: string | null;
  readonly postalCode?: string | null;
  readonly country?: string | null;
}

export interface ProfileRecord {
  readonly firstName?: string | null;
  readonly lastName?: string | null;
  readonly email?: string | null;
  readonly phone?: string | null;
  readonly birthDate?: string | null;
  readonly address?: AddressRecord | null;
}

export interface ConsentRecord {
  readonly purpose: Purpose;
  readonly status: ConsentStatus;
  readonly channel?: string | null;
  readonly updatedAt: string;
  readonly source: string;
}

export interface SegmentMembershipRecord {
  readonly segmentId: string;
  readonly since: string;
}

export interface TraitsRecord {
  readonly lifetimeValue?: number | null;
  readonly orderCount: number;
  readonly firstSeenAt?: string | null;
  readonly lastSeenAt?: string | null;
}

export interface CustomerRecord {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly profile: ProfileRecord;
  readonly identities: readonly IdentityRecord[];
  readonly consents: readonly ConsentRecord[];
  readonly segments: readonly SegmentMembershipRecord[];
  readonly traits: TraitsRecord;
  /** Set when this customer was absorbed by a merge: the survivor's id. */
  readonly mergedInto?: string | null;
  /** Ids this customer absorbed, so other sources keyed by them still answer. */
  readonly aliases?: readonly string[];
}

export interface EventRecord {
  readonly id: string;
  readonly customerId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly receivedAt: string;
  readonly channel?: string | null;
  readonly source: string;
  readonly properties?: Record<string, unknown> | null;
}

/** Position in a customer's timeline; opaque to clients (see src/cursor.ts). */
export interface EventPosition {
  readonly occurredAt: string;
  readonly id: string;
}

export interface EventQuery {
  readonly first: number;
  readonly after?: EventPosition | undefined;
  readonly types?: readonly string[] | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
}

export interface EventPage {
  readonly events: readonly EventRecord[];
  readonly hasNextPage: boolean;
}

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
}

export interface AuditPosition {
  readonly at: string;
  readonly id: string;
}

export interface AuditPage {
  readonly records: readonly AuditRecordModel[];
  readonly hasNextPage: boolean;
}

export interface ApiKeyRecord {
  /** Public part of the key; the lookup key. */
  readonly keyId: string;
  /** SHA-256 hex of the secret part. The secret itself is never stored. */
  readonly secretHash: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  readonly purposes: readonly Purpose[];
  readonly createdAt: string;
  readonly expiresAt?: string | null;
  readonly revoked: boolean;
  /** Requests per minute; the gateway default applies when absent. */
  readonly rateLimitPerMinute?: number | null;
  /** Only documents from the trusted-documents manifest are accepted. */
  readonly trustedDocumentsOnly?: boolean;
  /** Demo keys exist only in embedded demo mode. */
  readonly demo?: boolean;
  /** Set by `keys rotate`: the key id that replaced this one. */
  readonly replacedBy?: string | null;
}

/** Just enough of a customer to follow merges. */
export interface MergeLink {
  readonly id: string;
  readonly mergedInto?: string | null;
}

export interface SingleViewPort {
  /** Customers by id, merged or not (the caller follows `mergedInto`). */
  getCustomers(ids: readonly string[], options?: CallOptions): Promise<ReadonlyArray<CustomerRecord | null | Error>>;
  /** Merge links by id: a projection of the customer item, for resolution. */
  getMergeLinks(ids: readonly string[], options?: CallOptions): Promise<ReadonlyArray<MergeLink | null | Error>>;
  /** Identity index: which customer holds each identifier. */
  customerIdsByIdentity(keys: readonly IdentityKey[], options?: CallOptions): Promise<ReadonlyArray<string | null | Error>>;
  /** One page of a customer's timeline, oldest first. */
  getEvents(customerId: string, query: EventQuery, options?: CallOptions): Promise<EventPage>;
  /** One page of a customer's audit trail, newest first. */
  getAuditTrail(customerId: string, first: number, after?: AuditPosition, options?: CallOptions): Promise<AuditPage>;
  appendAudit(record: AuditRecordModel, options?: CallOptions): Promise<void>;
  /**
   * Several audit records in one write (batch contract: one result per
   * record). Durable when it resolves; a failed write rejects as a whole.
   */
  appendAudits(records: readonly AuditRecordModel[], options?: CallOptions): Promise<Array<void | Error>>;
  getApiKey(keyId: string): Promise<ApiKeyRecord | null>;
  putApiKey(key: ApiKeyRecord): Promise<void>;
  listApiKeys(): Promise<readonly ApiKeyRecord[]>;
  /** Throws when the store cannot be reached. */
  health(options?: CallOptions): Promise<void>;
  close(): Promise<void>;
}
