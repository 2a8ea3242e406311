/**
 * Every enumeration of the domain, written once. The schema's enums of the
 * same name (schema/vocabulary.graphql and the type files) must list the
 *  same values: src/domain/vocabulary.test.ts compares them.
 */

/** Kinds of identifier a customer is known by. */
export const IDENTITY_TYPES = ['ANONYMOUS_ID', 'USER_ID', 'EMAIL', 'PHONE', 'DEVICE_ID', 'CRM_ID', 'LOYALTY_ID'] as const;
export type IdentityType = (typeof IDENTITY_TYPES)[number];

/** Why personal data is read; a request states one (x-c360-purpose). */
export const PURPOSES = ['SUPPORT', 'MARKETING', 'ANALYTICS', 'PERSONALIZATION', 'FRAUD', 'SELF_SERVICE'] as const;
export type Purpose = (typeof PURPOSES)[number];

/** Classes of personal field (@pii(class:)); the privacy policy decides per purpose and class. */
export const PII_CLASSES = ['CONTACT', 'IDENTIFIER', 'DEMOGRAPHIC', 'LOCATION', 'FINANCIAL', 'BEHAVIORAL', 'SENSITIVE'] as const;
export type PiiClass = (typeof PII_CLASSES)[number];

export const CONSENT_STATUSES = ['GRANTED', 'DENIED'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

/** Timelines read oldest first unless a page asks for the newest first. */
export const EVENT_ORDERS = ['OLDEST_FIRST', 'NEWEST_FIRST'] as const;
export type EventOrder = (typeof EVENT_ORDERS)[number];

export const SUGGESTION_STATUSES = ['OPEN', 'ACCEPTED', 'REJECTED'] as const;
export type SuggestionStatus = (typeof SUGGESTION_STATUSES)[number];

/** Why two customers are suggested as one: identify refused to merge them unverified, or a matcher scored them. */
export const SUGGESTION_ORIGINS = ['UNVERIFIED_MERGE', 'MATCH'] as const;
export type SuggestionOrigin = (typeof SUGGESTION_ORIGINS)[number];

/** Where one source stands in an erasure. IN_PROGRESS: the request did its part and a background job (src/jobs/) deletes the rest. */
export const ERASURE_STATUSES = ['ERASED', 'NOT_FOUND', 'FAILED', 'IN_PROGRESS'] as const;
export type ErasureStatus = (typeof ERASURE_STATUSES)[number];

/**
 * Where the merge that absorbs a customer stands (docs/identity-resolution.md):
 * `pending` froze it, `done` pointed its identity index entries at the
 * survivor once the survivor held its data (its history stays under its own
 * id: merges are by pointer); `committed` (the survivor holds it, the index
 * not yet moved) is written by merges made before that and by a writer that
 * rolls a stale merge forward. Internal: not in the schema.
 */
export const MERGE_STATES = ['pending', 'committed', 'done'] as const;
export type MergeState = (typeof MERGE_STATES)[number];

/** Kinds of identity log entry. Internal: the schema's IdentityChangeKind is a subset in capitals. */
export const IDENTITY_LOG_KINDS = ['create', 'link', 'merge', 'reject', 'abort', 'unmerge'] as const;
export type IdentityLogKind = (typeof IDENTITY_LOG_KINDS)[number];
