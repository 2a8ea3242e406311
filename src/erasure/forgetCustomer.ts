import type { Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { SourceError } from '../../connectors/resilience/sourceError.js';
import type { EraseOutcome } from '../../connectors/shared/erasure.js';
import type { CustomerRecord, ErasureJobRecord, ErasureProgressRecord, ErasureSourceRecord, IdentityKey, JobRecord, Purpose } from '../domain/index.js';
import type { ErasurePort } from '../../connectors/singleview/port.js';
import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import type { BackgroundJobs } from '../jobs/backgroundJobs.js';
import type { RunOutcome } from '../jobs/worker.js';
import { erasureRecord } from '../audit/index.js';
import type { AuditActor, AuditLog } from '../audit/index.js';
import type { SourceName } from '../config.js';
import type { CustomerCache } from '../identity/cache.js';
import type { Clock } from '../identity/clock.js';
import { WriteStore } from '../identity/store.js';
import { sourceKeysOf } from '../sourceKeys.js';
import type { SourceKeyHints } from '../sourceKeys.js';
import type { GuardedPorts } from '../sources.js';
import type { SuppressionList } from './suppression.js';

export interface ErasureServices {
  /** The guarded ports (src/sources.ts). */
  readonly ports: GuardedPorts;
  readonly clock: Clock;
  readonly cache: CustomerCache;
  readonly sourceKeyHints: SourceKeyHints;
  readonly suppressions: SuppressionList;
  readonly logger: Logger;
  readonly audit: AuditLog;
  /** The single view's timelines, consent histories and identity logs are deleted by a background job (src/jobs/). */
  readonly jobs: BackgroundJobs;
}

/** Whom to forget: a customer id (any id of the customer), or an identifier the person is known by. */
export type ErasureSubject = { readonly by: 'id'; readonly id: string } | { readonly by: 'identity'; readonly key: IdentityKey };

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
 * Pages of the single view's deletion job an erasure runs itself before it
 * answers: three per customer id (timeline, consent history, identity log)
 * for a customer and a few absorbed ids with short histories, so these are
 * ERASED at once. Past them the receipt says IN_PROGRESS with the worker's
 * progress, and the request has cost the same whatever the history's length.
 */
const ERASE_INLINE_PAGES = 12;

/**
 * forgetCustomer: erase a person from every source, and keep them from
 * coming back. A job record in the single view (ids and statuses only) makes
 * it resumable: a repeated request skips the sources already done and
 * retries the ones that FAILED.
 *
 * First every identifier of the person goes on the suppression list (keyed
 * hashes only), so that no event or identify re-collects them while or after
 * the sources are erased. The CRM and loyalty system are erased by the
 * customer's CRM_ID and LOYALTY_ID identities, resolution by the customer
 * ids; the single view goes last, since its customer items hold the
 * identifiers the others are erased by. The single view's customer items go
 * in the request; the timelines, consent histories and identity logs of
 * every id the customer absorbed (merges are by pointer) are a background
 * job (`erase#<customerId>`), of which the request runs a few pages. Every request (a repeat too) is
 * audited on the customer's trail with each source's status, never a
 * personal value (src/audit/erasure.ts); if that record cannot be written
 * the call fails, and a repeat (which resumes) writes it.
 */
export async function forgetCustomer(services: ErasureServices, subject: ErasureSubject, request: ErasureRequest): Promise<ErasureJobRecord> {
  const store = new WriteStore(services.ports.singleView, request.span);
  const id = await subjectId(services, store, subject);
  const job = (await store.port.getErasureJob(id, store.call)) ?? (await newJob(services, store, id));
  const ids = job.customerIds;
  const records = [...(await store.customers(ids)).values()];
  const identities = records.flatMap((record) => record.identities.map(({ type, value }): IdentityKey => ({ type, value })));
  const suppressed = subject.by === 'identity' ? [subject.key, ...identities] : identities;
  await services.suppressions.suppress(suppressed, job.canonicalId, services.clock().toISOString(), request.span);

  const sources = { ...job.sources };
  const pending = (source: SourceName) => sources[source]?.status !== 'ERASED' && sources[source]?.status !== 'NOT_FOUND';
  // The ports are guarded (src/sources.ts); erasing is idempotent, so their guards retry it like a read.
  const call: CallOptions = { parentSpan: request.span };
  const run = (source: SourceName, erase: (options: CallOptions) => Promise<EraseOutcome>) =>
    pending(source) ? attempt(services, source, () => erase(call)).then((status) => (sources[source] = status)) : Promise.resolve();
  // A customer without a CRM_ID (or LOYALTY_ID) has nothing in that source, and costs it no call.
  const byKeys = (keys: readonly string[], erase: (keys: readonly string[], o: CallOptions) => Promise<EraseOutcome>) => (o: CallOptions) =>
    keys.length === 0 ? Promise.resolve<EraseOutcome>('not_found') : erase(keys, o);

  const { crm, loyalty, resolution } = services.ports;
  const keys = records.map(sourceKeysOf);
  await Promise.all([
    run('crm', byKeys(keys.flatMap((k) => k.crm), (k, o) => crm.erase(k, o))),
    run('loyalty', byKeys(keys.flatMap((k) => k.loyalty), (k, o) => loyalty.erase(k, o))),
    run('resolution', (o) => resolution.erase(ids, o)),
  ]);
  if (pending('singleview')) {
    const waitingFor = (['resolution', 'crm', 'loyalty'] as const).filter(pending);
    sources.singleview =
      waitingFor.length > 0
        ? { status: 'FAILED', detail: `waits for ${waitingFor.join(', ')} to be erased first`, at: services.clock().toISOString() }
        : await eraseSingleView(services, store, job);
  }
  for (const customerId of ids) {
    services.cache.forget(customerId);
    services.sourceKeyHints.forget(customerId);
  }

  const now = services.clock().toISOString();
  const done = ERASURE_SOURCES.every((source) => !pending(source));
  const updated: ErasureJobRecord = { ...job, sources, updatedAt: now, completedAt: done ? (job.completedAt ?? now) : null };
  await Promise.all(ids.map((customerId) => store.port.putErasureJob({ ...updated, customerId }, store.call)));
  // The worker may have finished the history between our run and this write, and found no job to record it on.
  if (sources.singleview?.status === 'IN_PROGRESS') {
    const history = await services.jobs.get(historyJobId(job.canonicalId), store.call);
    if (history?.status === 'DONE') await erasureFinished(store.port, services.clock)(history, store.call);
  }
  await services.audit.appliedChanges(erasureActor(request, 'forgetCustomer'), [erasureRecord(job.canonicalId, sources, ERASURE_SOURCES, done)], request.span);
  return updated;
}

/** Who asked for an erasure or a lift, as its audit record names them. */
export function erasureActor(request: ErasureRequest, operation: string): AuditActor {
  return { principal: request.principal, purpose: request.purpose, traceId: request.traceId, operation };
}

/**
 * The customer id an erasure is filed under. An identifier resolves through
 * the single view's identity index; one that nobody holds any more was
 * erased before, and its suppression entry names that customer, so a
 * repeated request returns the same receipt. An identifier no customer ever
 * held gets an id derived from its keyed hash: the receipt says every source
 * had nothing, and the identifier is suppressed all the same.
 */
async function subjectId(services: ErasureServices, store: WriteStore, subject: ErasureSubject): Promise<string> {
  if (subject.by === 'id') return subject.id;
  const port = store.port;
  const [holder] = await port.customerIdsByIdentity([subject.key], { ...store.call, consistent: true });
  if (holder instanceof Error) throw holder;
  if (holder) return holder;
  const hash = services.suppressions.hash(subject.key);
  const [entry] = await port.getSuppressions([hash], store.call);
  if (entry instanceof Error) throw entry;
  return entry?.customerId ?? `erased_${hash.slice(0, 40)}`;
}

/** A new job for the customer `id` stands for (after merges), covering every id it absorbed. */
async function newJob(services: ErasureServices, store: WriteStore, id: string): Promise<ErasureJobRecord> {
  const customer = await canonicalCustomer(store, id);
  const canonicalId = customer?.id ?? id;
  const customerIds = [...new Set([canonicalId, id, ...(customer?.aliases ?? [])])];
  const now = services.clock().toISOString();
  return { customerId: canonicalId, canonicalId, requestedAt: now, updatedAt: now, customerIds, sources: {}, completedAt: null };
}

async function canonicalCustomer(store: WriteStore, id: string): Promise<CustomerRecord | null> {
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

/**
 * The single view: the customer items first (nothing of the customer reads
 * any more), then the history job, a few pages of it in the request. ERASED
 * (or NOT_FOUND) when the job is done, IN_PROGRESS with its progress while
 * the worker goes on; the worker records the end on the erasure job itself
 * (erasureFinished).
 */
async function eraseSingleView(services: ErasureServices, store: WriteStore, job: ErasureJobRecord): Promise<ErasureSourceRecord> {
  const at = () => services.clock().toISOString();
  let run: RunOutcome;
  try {
    const found = await store.port.deleteCustomers(job.customerIds, store.call);
    const spec = { kind: 'erase-history' as const, customerIds: [...job.customerIds], found };
    run = await services.jobs.start(historyJobId(job.canonicalId), spec, ERASE_INLINE_PAGES, store.call);
  } catch (error) {
    return attempt(services, 'singleview', () => Promise.reject(error as Error));
  }
  if (run.status === 'failed') return { status: 'FAILED', detail: run.job?.lastError ?? 'the history could not be deleted', at: at(), progress: run.job ? progressOf(run.job) : null };
  if (!run.job || run.status !== 'done') return { status: 'IN_PROGRESS', detail: null, at: at(), progress: run.job ? progressOf(run.job) : null };
  return finishedStatus(run.job, at());
}

/** The id of an erasure's history job. */
export function historyJobId(canonicalId: string): string {
  return `erase#${canonicalId}`;
}

/** What the history job has done, as a receipt shows it. */
function progressOf(job: JobRecord): ErasureProgressRecord {
  const ids = job.spec.kind === 'erase-history' ? job.spec.customerIds.length : 0;
  return {
    itemsDeleted: job.progress.items,
    customerIdsDone: Math.min(ids, Math.floor(job.progress.step / 3)),
    customerIdsTotal: ids,
    updatedAt: job.updatedAt,
    completedAt: job.completedAt ?? null,
  };
}

/** A finished history job: ERASED when the request or the job found anything, NOT_FOUND when neither did. */
function finishedStatus(job: JobRecord, at: string): ErasureSourceRecord {
  const found = (job.spec.kind === 'erase-history' ? job.spec.found : 0) + job.progress.items;
  return { status: found > 0 ? 'ERASED' : 'NOT_FOUND', detail: null, at, progress: { ...progressOf(job), completedAt: job.completedAt ?? at } };
}

/**
 * When the worker finishes a history job, the erasure job it belongs to (one
 * copy per customer id) says so: the single view ERASED or NOT_FOUND, and the
 * erasure complete if every other source is done. A source already settled
 * by a request is left as it is.
 */
export function erasureFinished(port: Pick<ErasurePort, 'getErasureJob' | 'putErasureJob'>, clock: () => Date) {
  return async (job: JobRecord, call: CallOptions): Promise<void> => {
    if (job.spec.kind !== 'erase-history') return;
    const now = clock().toISOString();
    const finished = finishedStatus({ ...job, completedAt: job.completedAt ?? now }, now);
    await Promise.all(
      job.spec.customerIds.map(async (customerId) => {
        const erasure = await port.getErasureJob(customerId, call);
        if (!erasure || erasure.sources.singleview?.status !== 'IN_PROGRESS') return;
        const sources: Record<string, ErasureSourceRecord> = { ...erasure.sources, singleview: finished };
        const settled = (source: string) => sources[source]?.status === 'ERASED' || sources[source]?.status === 'NOT_FOUND';
        const done = ERASURE_SOURCES.every(settled);
        await port.putErasureJob({ ...erasure, sources, updatedAt: now, completedAt: done ? (erasure.completedAt ?? now) : null }, call);
      }),
    );
  };
}
