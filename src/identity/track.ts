import { createHash } from 'node:crypto';
import type { CustomerRecord, EventRecord, IdentityKey, IdempotencyRecord } from '../domain/index.js';
import type { IdempotencyClaim } from '../../connectors/singleview/port.js';
import { withSegments } from '../segments/evaluate.js';
import { MergeEngine } from './mergeEngine.js';
import { newCustomerId, newEventId } from './ids.js';
import { newCustomerRecord } from './identify.js';
import { customerEventBatches } from './eventBatches.js';
import { applyEvent, holdsIdentity } from './records.js';
import type { WriteScope } from './scope.js';
import { RetryLater, withRetries } from './store.js';
import { AGAIN, boundedRetry } from '../../connectors/resilience/boundedRetry.js';
import { splitHolds, waitForSplit } from './unmerge.js';
import { identityIndexKey } from '../domain/index.js';

export interface TrackCommand {
  readonly key: IdentityKey;
  readonly type: string;
  readonly occurredAt?: string | undefined;
  readonly channel?: string | null | undefined;
  readonly properties?: Record<string, unknown> | null | undefined;
  readonly idempotencyKey?: string | undefined;
  /** Recorded as the event's source and the source of a new identifier. */
  readonly source: string;
}

export interface TrackOutcome {
  readonly eventId: string;
  readonly customerId: string;
  readonly duplicate: boolean;
}

/**
 * An idempotency key the principal already used for a different event: the
 * call is refused and nothing is stored (IDEMPOTENCY_KEY_REUSED, src/errors.ts).
 */
export class IdempotencyKeyReused extends Error {
  override readonly name = 'IdempotencyKeyReused';
}

/** How long a `track` idempotency key is remembered (the TTL attribute of its item). */
export const IDEMPOTENCY_TTL_SECONDS = 7 * 24 * 3600;
/**
 * A claim whose event was never stored, older than this, was abandoned by a
 * writer that crashed between claiming and writing: the next call with the
 * key takes it over. Far longer than any write's deadlines.
 */
export const IDEMPOTENCY_TAKEOVER_MS = 5 * 60_000;

/**
 * track: one event for the customer that holds the identifier, or for a new
 * (anonymous, for an ANONYMOUS_ID) customer when nobody does. For a known
 * identifier whose customer this process has seen: the event write and the
 * idempotency claim in parallel, then one conditional write of the customer
 * (traits, latest event times, real-time segments), shared with the
 * customer's other events waiting in this process: two round trips. An
 * identifier nobody holds is checked against the suppression list first: an
 * erased person's identifier stores nothing and creates nobody
 * (SuppressedIdentifierError).
 */
export async function track(scope: WriteScope, command: TrackCommand): Promise<TrackOutcome> {
  const now = scope.now();
  const event: EventRecord = {
    id: newEventId(now),
    customerId: '',
    type: command.type,
    occurredAt: command.occurredAt ?? now.toISOString(),
    receivedAt: now.toISOString(),
    channel: command.channel ?? null,
    source: command.source,
    properties: command.properties ?? null,
    via: identityIndexKey(command.key),
  };
  const idempotencyKey = command.idempotencyKey === undefined ? undefined : `${scope.context.principal}#${command.idempotencyKey}`;
  const payloadHash = idempotencyKey === undefined ? undefined : payloadHashOf(command);
  const graph = new MergeEngine(scope);
  try {
    return await withRetries('track', async () => {
      const customer = await findCustomer(scope, graph, command.key);
      // Only an identifier nobody holds can be suppressed (erasure unlinks them all): the known-customer path pays nothing.
      if (!customer) await scope.services.suppressions.refuseSuppressed([{ key: command.key, index: 0 }], scope.context.span);
      if (customer && splitHolds(customer, { key: identityIndexKey(command.key) })) await waitForSplit(scope, customer);
      const placed = { ...event, customerId: customer?.id ?? newCustomerId() };
      const claim = idempotencyKey ? claimKey(scope, graph, idempotencyKey, placed, payloadHash) : Promise.resolve(null);
      try {
        const outcome = customer ? await appendEvent(scope, graph, customer, placed, command.key, claim) : await createWithEvent(scope, placed, command, claim, graph);
        if (outcome.duplicate && outcome.payloadHash !== undefined && outcome.payloadHash !== payloadHash) {
          throw new IdempotencyKeyReused('input.idempotencyKey was already used with a different event');
        }
        return { eventId: outcome.eventId, customerId: outcome.customerId, duplicate: outcome.duplicate };
      } catch (error) {
        if (idempotencyKey && !(error instanceof IdempotencyKeyReused)) await releaseKey(scope, idempotencyKey, placed.id);
        throw error;
      }
    });
  } finally {
    await scope.flushLog();
  }
}

/** The cached record when it still names the identifier (a stale one fails its version check later), else the index. */
async function findCustomer(scope: WriteScope, graph: MergeEngine, key: IdentityKey): Promise<CustomerRecord | null> {
  const cached = scope.services.cache.lookup(key);
  if (cached && !cached.mergedInto && holdsIdentity(cached, key)) return cached;
  const [holder] = await graph.holders([key]);
  if (holder) scope.services.cache.remember(holder, key);
  return holder ?? null;
}

/**
 * The call as the client sent it (identifier, type, the occurredAt it gave,
 * channel, properties), in a canonical JSON form: a retry hashes the same,
 * another event under the same key does not.
 */
function payloadHashOf(command: TrackCommand): string {
  const sent = { key: command.key, type: command.type, occurredAt: command.occurredAt ?? null, channel: command.channel ?? null, properties: command.properties ?? null };
  return createHash('sha256').update(canonicalJson(sent)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Take-overs of an abandoned key that another writer took over first: this many at most, then the whole track retries. */
const TAKEOVER_ATTEMPTS = 3;

async function claimKey(scope: WriteScope, graph: MergeEngine, key: string, event: EventRecord, payloadHash: string | undefined): Promise<IdempotencyClaim> {
  const { store, services } = scope;
  const record = {
    key,
    eventId: event.id,
    customerId: event.customerId,
    occurredAt: event.occurredAt,
    claimedAt: event.receivedAt,
    expiresAt: Math.floor(Date.parse(event.receivedAt) / 1000) + IDEMPOTENCY_TTL_SECONDS,
    ...(payloadHash === undefined ? {} : { payloadHash }),
  };
  const exhausted = () => new RetryLater('idempotency key taken over concurrently');
  return boundedRetry({ attempts: TAKEOVER_ATTEMPTS, initialDelayMs: 2, maxDelayMs: 20, exhausted }, async () => {
    const claim = await services.singleView.claimIdempotencyKey(record, store.call);
    if (claim.status === 'claimed' || !(await abandoned(scope, graph, claim.record))) return claim;
    const taken = await services.singleView.takeOverIdempotencyKey(record, claim.record.eventId, store.call);
    // Another writer took the abandoned key over first: read it again (bounded, with jittered backoff).
    return taken === 'written' ? ({ status: 'claimed' } as const) : AGAIN;
  });
}

/** An old claim whose event is in no timeline: its writer is gone. */
async function abandoned(scope: WriteScope, graph: MergeEngine, claim: IdempotencyRecord): Promise<boolean> {
  if (scope.now().getTime() - Date.parse(claim.claimedAt) < IDEMPOTENCY_TAKEOVER_MS) return false;
  const holder = await graph.follow(claim.customerId);
  const position = { occurredAt: claim.occurredAt, id: claim.eventId };
  const stored = holder && (await scope.services.singleView.eventExists(holder.id, position, scope.store.call));
  return !stored;
}

async function releaseKey(scope: WriteScope, key: string, eventId: string): Promise<void> {
  const { store, services } = scope;
  await services.singleView.releaseIdempotencyKey(key, eventId, store.call);
}

/** What an append found: the outcome, and for a duplicate the hash of the call that first used the key. */
type Appended = TrackOutcome & { readonly payloadHash?: string | undefined };

/** The first call with this key: its event and the customer it went to (after merges). */
async function duplicateOf(graph: MergeEngine, claim: Extract<IdempotencyClaim, { status: 'exists' }>): Promise<Appended> {
  const { record } = claim;
  const holder = await graph.follow(record.customerId);
  return { eventId: record.eventId, customerId: holder?.id ?? record.customerId, duplicate: true, payloadHash: record.payloadHash };
}

/**
 * The event first, then the customer under its version, together with the
 * customer's other events that arrived meanwhile (eventBatches.ts): a merge
 * that froze the customer in between makes the customer write fail, and this
 * writer takes its event back and retries against the survivor, so no event
 * is left behind in an absorbed timeline.
 */
async function appendEvent(
  scope: WriteScope,
  graph: MergeEngine,
  customer: CustomerRecord,
  event: EventRecord,
  key: IdentityKey,
  claim: Promise<IdempotencyClaim | null>,
): Promise<Appended> {
  const { store, services } = scope;
  const takeBack = () => services.singleView.deleteEvent(event.customerId, event, store.call);
  const [claimed] = await undoneOnError(settled([claim, services.events.put(event)] as const), takeBack);
  if (claimed?.status === 'exists') {
    await takeBack();
    return duplicateOf(graph, claimed);
  }
  const outcome = await undoneOnError(customerEventBatches(scope).apply(scope, customer, event, key), takeBack);
  if (outcome.status === 'written') {
    services.cache.remember(outcome.record, key);
    return { eventId: event.id, customerId: customer.id, duplicate: false };
  }
  // Absorbed by a merge, being split or erased since it was read: take the event back and start over.
  await takeBack();
  services.cache.forget(customer.id);
  throw new RetryLater(`customer ${outcome.status}`);
}

/**
 * A write that failed (the store's error, not a lost race) takes back what
 * the call stored before rethrowing, as a lost race does: the caller releases
 * the idempotency key, so the client's retry stores the event again, and an
 * event left behind would be in the timeline twice. Best effort: when the
 * undo fails too, the write's own error is the one reported.
 */
async function undoneOnError<T>(write: Promise<T>, undo: () => Promise<unknown>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    await undo().catch(() => undefined);
    throw error;
  }
}

/**
 * A customer for an identifier nobody holds: the customer item and its event
 * are written first, invisible until the identifier is claimed; a lost claim
 * (a concurrent track of the same new identifier) removes both and retries.
 */
async function createWithEvent(
  scope: WriteScope,
  event: EventRecord,
  command: TrackCommand,
  claim: Promise<IdempotencyClaim | null>,
  graph: MergeEngine,
): Promise<Appended> {
  const { store, services } = scope;
  const now = scope.now();
  const at = now.toISOString();
  const identity = { type: command.key.type, value: command.key.value, source: command.source, firstSeenAt: at, lastSeenAt: at };
  const fresh = applyEvent(newCustomerRecord(event.customerId, now, [identity]), event, command.key);
  const record = { ...fresh, createdAt: at, segments: withSegments(fresh, services.segments.realtime(), now) };
  const undo = () =>
    Promise.all([
      services.singleView.deleteEvent(event.customerId, event, store.call),
      services.singleView.deleteCustomers([record.id], store.call),
    ]);
  // Until the identifier is claimed, the customer and its event are invisible: a failure before that removes both.
  const [claimed] = await undoneOnError(
    settled([claim, services.singleView.createCustomer(record, store.call), services.events.put(event)] as const),
    undo,
  );
  if (claimed?.status === 'exists') {
    await undo();
    return duplicateOf(graph, claimed);
  }
  const owner = await services.singleView.claimIdentity(command.key, record.id, store.call);
  if (owner.status === 'held') {
    await undo();
    throw new RetryLater('identifier claimed by a concurrent writer');
  }
  scope.log({ customerId: record.id, kind: 'create', rule: 'new-identifier', identityKeys: [identityIndexKey(command.key)] });
  services.cache.remember(record, command.key);
  return { eventId: event.id, customerId: record.id, duplicate: false };
}

/**
 * Promise.all that waits for every write before failing: undoing a claim
 * while it is still in flight would leave it behind.
 */
async function settled<T extends readonly unknown[]>(promises: { readonly [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
