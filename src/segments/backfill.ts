import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import type { SegmentJobRecord } from '../../connectors/singleview/segmentIndex.js';
import type { Clock } from '../identity/clock.js';
import { WriteStore } from '../identity/store.js';
import type { SegmentCatalog } from './catalog.js';
import { STALE_MARK, segmentIndexMark } from './changeFeed.js';
import type { SegmentSpec } from './definitions.js';
import { evaluateMemberships, sameMemberships } from './evaluate.js';

/** The backfill's job item (`job#backfill`) and one per scan part (`job#backfill#<n>`). */
export const BACKFILL_JOB = 'backfill';
/** Parts of the parallel scan (DynamoDB Scan's TotalSegments) unless the run says otherwise. */
export const BACKFILL_PARTS = 4;

const headerSchema = z.object({
  state: z.enum(['running', 'done']),
  /** Each segment's definition hash this backfill brings the customers to. */
  definitions: z.record(z.string(), z.string()),
  /** The hashes the customers had before (the last finished backfill's). */
  previous: z.record(z.string(), z.string()),
  parts: z.number().int().positive(),
  startedAt: z.string(),
  updatedAt: z.string(),
});
type Header = z.infer<typeof headerSchema>;

const partSchema = z.object({ next: z.string().nullable(), done: z.boolean(), scanned: z.number().int(), updated: z.number().int() });
type Part = z.infer<typeof partSchema>;

/** A definition's hash: a changed rule, name or flag is a new definition. */
export function definitionHash(spec: SegmentSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 24);
}

export interface BackfillProgress {
  /** No definition changed since the last finished backfill: nothing scanned. */
  readonly skipped: boolean;
  /** Every part has scanned to its end. */
  readonly complete: boolean;
  /** Segments new, changed or removed since the last finished backfill. */
  readonly segments: readonly string[];
  /** Customers scanned and written, over all runs of this backfill. */
  readonly scanned: number;
  readonly updated: number;
}

export interface BackfillDependencies {
  /** The port with the change feed (withSegmentChangeFeed): the customers it writes are announced to the index. */
  readonly singleView: SingleViewPort;
  readonly segments: SegmentCatalog;
  readonly clock: Clock;
  readonly parts?: number;
  readonly pageSize?: number;
  /** Stop after this many pages over all parts (a bounded run; the next run resumes). */
  readonly maxPages?: number;
  readonly options?: CallOptions;
  /** Asked between pages: true stops the backfill where it is (its progress is recorded). */
  readonly shouldStop?: () => boolean;
}

/**
 * Brings every customer's memberships of new, changed or removed segments up
 * to date: a parallel scan of the customers in `parts` disjoint parts at
 * once, each part's position recorded after every page (`job#backfill#<n>`),
 * so a run that stops (a crash, `maxPages`) is resumed by the next run from
 * there. The definition hashes are stored: unchanged definitions are not
 * backfilled again. Customers are written only where memberships or the due
 * time change, with a stale index mark, so the change feed indexes them.
 */
export async function backfillSegments(deps: BackfillDependencies): Promise<BackfillProgress> {
  const port = deps.singleView;
  const store = new WriteStore(port, deps.options?.parentSpan);
  const specs = deps.segments.all();
  const definitions = Object.fromEntries(specs.map((spec) => [spec.id, definitionHash(spec)]));
  const stored = await port.getSegmentJob(BACKFILL_JOB, deps.options);
  const storedHeader = stored ? headerSchema.parse(JSON.parse(stored.body)) : undefined;
  const same = (a: Record<string, string>, b: Record<string, string>) => JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
  let header: Header;
  let revision = stored?.revision ?? null;
  if (storedHeader && same(storedHeader.definitions, definitions)) {
    header = storedHeader;
    if (header.state === 'done') return { skipped: true, complete: true, segments: [], scanned: 0, updated: 0 };
  } else {
    const previous = storedHeader ? (storedHeader.state === 'done' ? storedHeader.definitions : storedHeader.previous) : {};
    const at = deps.clock().toISOString();
    header = { state: 'running', definitions, previous, parts: deps.parts ?? BACKFILL_PARTS, startedAt: at, updatedAt: at };
    for (let part = 0; part < header.parts; part += 1) await savePart(port, part, { next: null, done: false, scanned: 0, updated: 0 }, deps.options);
    revision = await saveHeader(port, header, revision, deps.options);
  }
  const changedIds = new Set([...Object.keys(definitions), ...Object.keys(header.previous)].filter((id) => header.previous[id] !== definitions[id]));
  const changed = specs.filter((spec) => changedIds.has(spec.id));
  const known = new Set(specs.map((spec) => spec.id));
  let pagesLeft = deps.maxPages ?? Number.POSITIVE_INFINITY;
  const parts = await Promise.all(
    Array.from({ length: header.parts }, async (_, part) => {
      let progress = await loadPart(port, part, deps.options);
      while (!progress.done && pagesLeft > 0 && !deps.shouldStop?.()) {
        pagesLeft -= 1;
        const page = await port.scanCustomerSegment(part, header.parts, deps.pageSize ?? 100, progress.next ?? undefined, deps.options);
        let updated = 0;
        for (const customer of page.customers) {
          if (customer.mergedInto) continue;
          const outcome = await store.update(
            customer.id,
            (current) => {
              const now = deps.clock();
              const facts = { traits: current.traits, consents: current.consents, lastEventAt: current.lastEventAt ?? {} };
              const segments = evaluateMemberships(changed, facts, current.segments.filter((m) => known.has(m.segmentId)), now);
              const mark = segmentIndexMark({ ...current, segments }, specs, now);
              const dueEarlier = mark.dueAt && (!current.segmentIndex?.dueAt || mark.dueAt < current.segmentIndex.dueAt);
              if (sameMemberships(segments, current.segments) && current.segmentIndex && !dueEarlier) return null;
              return { record: { ...current, segments, segmentIndex: STALE_MARK }, result: null };
            },
            customer,
          );
          if (outcome.status === 'written') updated += 1;
        }
        progress = { next: page.next ?? null, done: page.next === undefined, scanned: progress.scanned + page.customers.length, updated: progress.updated + updated };
        await savePart(port, part, progress, deps.options);
      }
      return progress;
    }),
  );
  const complete = parts.every((part) => part.done);
  if (complete) await saveHeader(port, { ...header, state: 'done', updatedAt: deps.clock().toISOString() }, revision, deps.options);
  return {
    skipped: false,
    complete,
    segments: [...changedIds].sort(),
    scanned: parts.reduce((sum, part) => sum + part.scanned, 0),
    updated: parts.reduce((sum, part) => sum + part.updated, 0),
  };
}

/**
 * The job item of a backfill that has brought every customer to `specs`: a
 * load that arrives indexed (src/segments/indexedLoad.ts) stores it, so the
 * worker's first round finds nothing to backfill.
 */
export function finishedBackfill(specs: readonly SegmentSpec[], now: Date): SegmentJobRecord {
  const at = now.toISOString();
  const header: Header = { state: 'done', definitions: Object.fromEntries(specs.map((spec) => [spec.id, definitionHash(spec)])), previous: {}, parts: BACKFILL_PARTS, startedAt: at, updatedAt: at };
  return { id: BACKFILL_JOB, revision: 1, body: JSON.stringify(header) };
}

/** The backfill's state as stored, for progress reports: null before the first. */
export async function backfillStatus(port: SingleViewPort, options?: CallOptions): Promise<(Header & { scanned: number; updated: number; partsDone: number }) | null> {
  const stored = await port.getSegmentJob(BACKFILL_JOB, options);
  if (!stored) return null;
  const header = headerSchema.parse(JSON.parse(stored.body));
  const parts = await Promise.all(Array.from({ length: header.parts }, (_, part) => loadPart(port, part, options)));
  return {
    ...header,
    scanned: parts.reduce((sum, part) => sum + part.scanned, 0),
    updated: parts.reduce((sum, part) => sum + part.updated, 0),
    partsDone: parts.filter((part) => part.done).length,
  };
}

async function saveHeader(port: SingleViewPort, header: Header, revision: number | null, options?: CallOptions): Promise<number> {
  const next = (revision ?? 0) + 1;
  if ((await port.putSegmentJob({ id: BACKFILL_JOB, revision: next, body: JSON.stringify(header) }, revision, options)) === 'conflict') {
    throw new Error('another segments backfill changed its job meanwhile; run one at a time');
  }
  return next;
}

async function loadPart(port: SingleViewPort, part: number, options?: CallOptions): Promise<Part> {
  const stored = await port.getSegmentJob(`${BACKFILL_JOB}#${part}`, options);
  return stored ? partSchema.parse(JSON.parse(stored.body)) : { next: null, done: false, scanned: 0, updated: 0 };
}

/** A part's progress: a plain replace of its own item (one writer per part). */
async function savePart(port: SingleViewPort, part: number, progress: Part, options?: CallOptions): Promise<void> {
  const id = `${BACKFILL_JOB}#${part}`;
  const stored = await port.getSegmentJob(id, options);
  const outcome = await port.putSegmentJob({ id, revision: (stored?.revision ?? 0) + 1, body: JSON.stringify(progress) }, stored?.revision ?? null, options);
  if (outcome === 'conflict') throw new Error('another segments backfill changed its progress meanwhile; run one at a time');
}
