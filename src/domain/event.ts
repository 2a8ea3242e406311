/** Behavioural events on a customer's timeline, and `track` idempotency. */
import type { EventOrder } from './vocabulary.js';

export interface EventRecord {
  readonly id: string;
  readonly customerId: string;
  readonly type: string;
  readonly occurredAt: string;
  readonly receivedAt: string;
  readonly channel?: string | null;
  readonly source: string;
  readonly properties?: Record<string, unknown> | null;
  /**
   * The identifier the event arrived through (identity index key), or
   * `@<customerId>` for an event that predates this field, set when a merge
   * moves it. Identifies a person: never logged, never returned.
   */
  readonly via?: string | null;
}

/** Position in a customer's timeline; opaque to clients (see src/cursor.ts). */
export interface EventPosition {
  readonly occurredAt: string;
  readonly id: string;
}

export interface EventQuery {
  readonly first: number;
  /** Default OLDEST_FIRST; `after` continues in the same order. */
  readonly order?: EventOrder | undefined;
  readonly after?: EventPosition | undefined;
  readonly types?: readonly string[] | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
}

export interface EventPage {
  readonly events: readonly EventRecord[];
  readonly hasNextPage: boolean;
}


/** `track` idempotency: the first caller of a key claims it for its event. */
export interface IdempotencyRecord {
  /** `<principal>#<idempotencyKey>`. */
  readonly key: string;
  readonly eventId: string;
  readonly customerId: string;
  readonly occurredAt: string;
  readonly claimedAt: string;
  /**
   * Epoch seconds after which the key may be forgotten (DynamoDB TTL attribute). The DynamoDB
   * adapter stores `claimedAt` + its configured retention (C360_IDEMPOTENCY_RETENTION_DAYS) instead.
   */
  readonly expiresAt: number;
  /** SHA-256 of the call as sent, so a key reused for another event is told apart from a retry. Absent on keys claimed before it was kept. */
  readonly payloadHash?: string;
}
