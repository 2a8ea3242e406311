import type { Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { SourceError } from '../../connectors/resilience/sourceError.js';
import type { EraseOutcome } from '../../connectors/shared/erasure.js';
import type {
  CustomerRecord,
  ErasureJobRecord,
  ErasureSourceRecord,
  PageDeletion,
  Purpose,
} from '../../connectors/singleview/port.js';
import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import type { AuditLog } from '../audit/index.js';
import type { SourceName } from '../config.js';
import type { CustomerCache } from '../identity/cache.js';
import type { Clock } from '../identity/clock.js';
import { GuardedStore } from '../identity/store.js';
import type { Sources } from '../sources.js';

export interface ErasureServices {
  readonly sources: Sources;
  readonly clock: Clock;
  readonly cache: CustomerCache;
  readonly logger: Logger;
  readonly audit: AuditLog;
}

export interface ErasureRequest {
  readonly principal: string;
  readonly purpose: Purpose | null;
  readonly traceId: string | null;
  readonly span?: Span | undefined;
}

/** Order of the sources in a receipt. */
export const ERASURE_SOURCES: readonly SourceName[] = ['singleview', 'crm', 'loyalty', 'resolution'];
const MAX_MERGE_HOPS = 8;

/**
 * forgetCustomer: erase a person from every source. A job record in the
 * single view (ids and statuses only) makes it resumable: a repeated request
 * skips the sources already done and retries the ones that FAILED.
 *
 * The resolution links go before the single view, whose customer items list
 * the identifiers to unlink; CRM and loyalty run beside them. Every request
 * (a repeat too) is audited on the customer's trail with each source's
 * status, never a personal value; if that record cannot be written the call
 * fails, and a repeat (which resumes) writes it.
 */
export async function forgetCustomer(services: ErasureServices, id: string, request: ErasureRequest): Promise<ErasureJobRecord> {
  const store = new GuardedStore(services.sources.singleView, services.sources.guards.singleview, request.span);
  const job = (await store.read('getErasureJob', (o) => services.sources.singleView.getErasureJob(id, o))) ?? (await newJob(services, store, id));
  const sources = { ...job.sources };
  const pending = (source: SourceName) => sources[source]?.status !== 'ERASED' && sources[source]?.status !== 'NOT_FOUND';
  // Erasing is idempotent, so the guard may retry it like a read.
  const guarded = (source: SourceName, erase: (options: CallOptions) => Promise<EraseOutcome>) => () =>
    services.sources.guards[source].run({ operation: 'erase', batchSize: 1, idempotent: true, parentSpan: request.span }, (signal) =>
      erase({ signal }),
    );
  const run = (source: SourceName, erase: (options: CallOptions) => Promise<EraseOutcome>) =>
    pending(source) ? attempt(services, source, guarded(source, erase)).then((status) => (sources[source] = status)) : Promise.resolve();

  const { crm, loyalty, resolution } = services.sources;
  const ids = job.customerIds;
  await Promise.all([
    run('crm', (o) => crm.erase(ids, o)),
    run('loyalty', (o) => loyalty.erase(ids, o)),
    run('resolution', (o) => resolution.erase(ids, o)),
  ]);
  if (pending('singleview')) {
    sources.singleview = pending('resolution')
      ? { status: 'FAILED', detail: 'waits for the resolution links to be erased first', at: services.clock().toISOString() }
      : await attempt(services, 'singleview', () => eraseSingleView(store, ids));
  }
  for (const customerId of ids) services.cache.forget(customerId);

  const now = services.clock().toISOString();
  const done = ERASURE_SOURCES.every((source) => !pending(source));
  const updated: ErasureJobRecord = { ...job, sources, updatedAt: now, completedAt: done ? (job.completedAt ?? now) : null };
  await Promise.all(ids.map((customerId) => store.write('putErasureJob', (o) => services.sources.singleView.putErasureJob({ ...updated, customerId }, o))));
  const statuses = Object.fromEntries(ERASURE_SOURCES.map((source) => [`source.${source}`, sources[source]?.status ?? 'FAILED']));
  await services.audit.appliedChanges(
    { principal: request.principal, purpose: request.purpose, traceId: request.traceId, operation: 'forgetCustomer' },
    [{ customerId: job.canonicalId, detail: { change: 'erasure', completed: done ? 'true' : 'false', ...statuses } }],
    request.span,
  );
  return updated;
}

/** A new job for the customer `id` stands for (after merges), covering every id it absorbed. */
async function newJob(services: ErasureServices, store: GuardedStore, id: string): Promise<ErasureJobRecord> {
  const customer = await canonicalCustomer(store, id);
  const canonicalId = customer?.id ?? id;
  const customerIds = [...new Set([canonicalId, id, ...(customer?.aliases ?? [])])];
  const now = services.clock().toISOString();
  return { customerId: canonicalId, canonicalId, requestedAt: now, updatedAt: now, customerIds, sources: {}, completedAt: null };
}

async function canonicalCustomer(store: GuardedStore, id: string): Promise<CustomerRecord | null> {
  let current = await store.customer(id);
  for (let hop = 0; current?.mergedInto && hop < MAX_MERGE_HOPS; hop++) current = await store.customer(current.mergedInto);
  return current;
}

/** One source's erase; a failure becomes FAILED with a message that names no value. */
async function attempt(services: ErasureServices, source: SourceName, erase: () => Promise<EraseOutcome>): Promise<ErasureSourceRecord> {
  const at = () => services.clock().toISOString();
  try {
    const outcome = await erase();
    return { status: outcome === 'erased' ? 'ERASED' : 'NOT_FOUND', detail: null, at: at() };
  } catch (error) {
    const detail = error instanceof SourceError ? error.message : 'unexpected failure';
    if (!(error instanceof SourceError)) services.logger.error({ source, err: { type: (error as Error).name } }, 'erasure step failed');
    return { status: 'FAILED', detail, at: at() };
  }
}

/** Timelines, consent histories, identity logs, then the customer items; a page per guarded call, so a long timeline never outlives one deadline. */
async function eraseSingleView(store: GuardedStore, ids: readonly string[]): Promise<EraseOutcome> {
  const port = store.port;
  let found = 0;
  const drain = async (operation: string, deletePage: (customerId: string, o: CallOptions) => Promise<PageDeletion>, customerId: string) => {
    for (let more = true; more; ) {
      const page = await store.write(operation, (o) => deletePage(customerId, o));
      found += page.deleted;
      more = page.more;
    }
  };
  for (const customerId of ids) {
    await drain('deleteEvents', (c, o) => port.deleteEvents(c, o), customerId);
    await drain('deleteConsentHistory', (c, o) => port.deleteConsentHistory(c, o), customerId);
    await drain('deleteIdentityLog', (c, o) => port.deleteIdentityLog(c, o), customerId);
  }
  found += await store.write('deleteCustomers', (o) => port.deleteCustomers(ids, o));
  return found > 0 ? 'erased' : 'not_found';
}
