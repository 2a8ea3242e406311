import type { Span } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { CustomerRecord, IdentityLogEntry, IdentityType, Purpose } from '../domain/index.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import type { AuditActor, AuditDetail, AuditLog } from '../audit/index.js';
import type { BackgroundJobs } from '../jobs/backgroundJobs.js';
import type { SuppressionList } from '../erasure/suppression.js';
import type { SegmentCatalog } from '../segments/catalog.js';
import type { CustomerCache } from './cache.js';
import type { EventWriter } from './eventWriter.js';
import type { Clock } from './clock.js';
import { newToken } from './ids.js';
import type { KeyedLock } from './keyedLock.js';
import type { IdentityPolicy } from './identityRules.js';
import { WriteStore } from './store.js';

/** What the write path is built from; one instance per gateway. */
export interface IdentityServices {
  /** The guarded port (src/sources.ts): writes share its deadline and circuit with reads. */
  readonly singleView: SingleViewPort;
  readonly policy: IdentityPolicy;
  /** The identity type customer tokens name as their login (USER_ID by default): it never joins a known person unverified. */
  readonly loginType: IdentityType;
  readonly segments: SegmentCatalog;
  readonly clock: Clock;
  readonly cache: CustomerCache;
  /** Serializes this process's writers of one customer. */
  readonly locks: KeyedLock;
  /** Batches event writes across concurrent requests. */
  readonly events: EventWriter;
  /** Erased identifiers, refused by identify and by a track that would create a customer. */
  readonly suppressions: SuppressionList;
  readonly logger: Logger;
  /** Consent changes, links, merges and unmerges are audited here. */
  readonly audit: AuditLog;
  /** Work a merge, an unmerge or an erasure leaves for the background worker (src/jobs/); none: run whole in the request (tools without a worker). */
  readonly jobs?: BackgroundJobs | undefined;
  /** Told about customers whose matchable data a write changed (the probabilistic matcher's online scoring); none: nobody. */
  readonly customerWrites?: CustomerWriteObserver | undefined;
}

/**
 * Hears of customers as writes leave them (src/matchSuggestions/). Called
 * after the write has landed and its log is flushed; it must not throw (a
 * failure is its own to log), and the write's answer waits for it.
 */
export interface CustomerWriteObserver {
  /** identify wrote `record`, absorbing `absorbed`. */
  identified(scope: WriteScope, record: CustomerRecord, absorbed: readonly string[]): Promise<void>;
  /** A merge or an unmerge left these customers; `gone` were absorbed. */
  changed(records: readonly CustomerRecord[], gone: readonly string[]): void;
}

/** Who asked for a write, for the identity change log. */
export interface WriteContext {
  readonly principal: string;
  /** The request's purpose, for audit records of writes. */
  readonly purpose?: Purpose | null;
  readonly traceId?: string | null;
  readonly span?: Span | undefined;
}

/** One write request: services, the caller, the store it writes through, and the change-log entries it produced. */
export class WriteScope {
  readonly store: WriteStore;
  private readonly entries: IdentityLogEntry[] = [];

  constructor(
    readonly services: IdentityServices,
    readonly context: WriteContext,
  ) {
    this.store = new WriteStore(services.singleView, context.span, services);
  }

  now(): Date {
    return this.services.clock();
  }

  log(entry: Omit<IdentityLogEntry, 'id' | 'at' | 'principal' | 'traceId'>): void {
    this.entries.push({
      ...entry,
      id: newToken(),
      at: this.now().toISOString(),
      principal: this.context.principal,
      traceId: this.context.traceId ?? null,
    });
  }

  /**
   * Writes the change log collected so far; with `audited`, the write's
   * name, audits the links and merges in it on each customer's trail at the
   * same time (docs/privacy.md): the DynamoDB single view sends both in one
   * BatchWriteItem when the audit writer is idle. Each stands or fails on
   * its own; a failed log is reported first, then a failed audit record.
   */
  async flushLog(audited?: string): Promise<void> {
    const entries = this.entries.splice(0);
    if (entries.length === 0) return;
    const [log, audit] = await Promise.allSettled([
      this.services.singleView.appendIdentityLog(entries, this.store.call),
      audited ? this.services.audit.appliedChanges(this.actor(audited), identityChanges(entries), this.context.span) : undefined,
    ]);
    if (log.status === 'rejected') throw log.reason;
    if (audit.status === 'rejected') throw audit.reason;
  }

  /** Who did a write, for its audit records. */
  actor(operation: string): AuditActor {
    return { principal: this.context.principal, purpose: this.context.purpose ?? null, traceId: this.context.traceId ?? null, operation };
  }
}

/**
 * What links and merges did to each customer, in counts and identifier types:
 * never a value, and never the other customer's id (the identity change log
 * keeps that, under the customers it concerns).
 */
export function identityChanges(entries: readonly IdentityLogEntry[]): Array<{ customerId: string; detail: AuditDetail }> {
  const details = new Map<string, Record<string, string | number>>();
  const add = (customerId: string, key: string, count: number) => {
    const detail = details.get(customerId) ?? { change: 'identity' };
    detail[key] = (Number(detail[key]) || 0) + count;
    details.set(customerId, detail);
  };
  for (const entry of entries) {
    if (entry.kind === 'link') {
      add(entry.customerId, 'linked', entry.identityKeys.length);
      for (const key of entry.identityKeys) add(entry.customerId, `linked.${key.slice(0, key.indexOf('#'))}`, 1);
    } else if (entry.kind === 'merge') {
      add(entry.customerId, 'absorbedCustomers', 1);
      if (entry.otherCustomerId) add(entry.otherCustomerId, 'mergedIntoAnother', 1);
    }
  }
  return [...details].map(([customerId, detail]) => ({ customerId, detail }));
}
