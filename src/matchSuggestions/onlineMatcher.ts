import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { CustomerRecord } from '../domain/index.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import type { Blocklist } from '../identity/identityRules.js';
import { WriteScope } from '../identity/scope.js';
import type { CustomerWriteObserver } from '../identity/scope.js';
import { acceptSuggestion } from '../identity/suggestions.js';
import { CandidateIndex } from '../matching/candidateIndex.js';
import { matchRecordOfCustomer } from '../matching/customerRecord.js';
import { prepareRecord, scorePair } from '../matching/index.js';
import type { CompiledModel, PreparedRecord } from '../matching/index.js';
import { storeMatchSuggestions } from './store.js';
import type { ScoredPair } from './store.js';

export interface OnlineMatchingSettings {
  readonly compiled: CompiledModel;
  /** Region for phone numbers written without a country code, as identify uses it. */
  readonly defaultRegion: string;
  readonly blocklist: Blocklist;
  /**
   * C360_MATCH_AUTO_MERGE: pairs at or above this probability are merged
   * without a person (the suggestion is stored, then accepted by the
   * principal `matcher:auto-merge`). Null, the default: never.
   */
  readonly autoMerge: number | null;
  /** Customers the candidate index holds at most (C360_MATCH_INDEX_LIMIT). */
  readonly capacity: number;
}

/** The principal that accepts a suggestion when an operator turned auto-merge on. */
export const AUTO_MERGE_PRINCIPAL = 'matcher:auto-merge';

/**
 * The background fill starts at the first identify, a moment after it, and
 * reads small pages with a pause between them: requests never queue behind a
 * scan of the whole single view.
 */
const SCAN_PAGE = 100;
const SCAN_PAUSE_MS = 5;
const LOAD_DELAY_MS = 1_000;

/**
 * Online matching (docs/identity-resolution.md, "Online scoring"): after an
 * identify, the customer as it now is scored with the model against the
 * customers that share a blocking key with it, and each pair at or above
 * the review threshold is stored as a merge suggestion of origin MATCH.
 * A suggestion never merges by itself unless auto-merge is set.
 *
 * The candidates come from an index in this process's memory: filled from
 * the single view in the background from the first identify on (`load`), and kept current by
 * this process's writes. Another replica's writes reach it at its next
 * start; `npm run resolution:match` scores the whole single view.
 * Scoring is skipped when the write changed nothing the model compares.
 */
export class OnlineMatcher implements CustomerWriteObserver {
  readonly index: CandidateIndex;
  private loading: Promise<void> | undefined;
  private stopped = false;
  private readonly stopping = new AbortController();
  private warnedFull = false;

  constructor(
    private readonly settings: OnlineMatchingSettings,
    private readonly logger: Logger,
  ) {
    this.index = new CandidateIndex(settings.compiled, settings.capacity);
  }

  get model(): string {
    return this.settings.compiled.model.name;
  }

  /** Fills the index from the single view, a page at a time; customers already put by a write are kept as written. */
  load(singleView: SingleViewPort, delayMs = 0): Promise<void> {
    this.loading ??= sleep(delayMs, undefined, { signal: this.stopping.signal })
      .then(() => this.scan(singleView))
      .catch((error: unknown) => {
        if (this.stopped) return;
        this.logger.warn({ err: { type: (error as Error).name } }, 'online matching: the candidate index could not be filled from the single view; it holds the customers written since start');
      });
    return this.loading;
  }

  /** Stops a load under way (the gateway is closing). */
  stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    return this.loading ?? Promise.resolve();
  }

  private async scan(singleView: SingleViewPort): Promise<void> {
    if (this.stopped) return;
    let after: string | undefined;
    let loaded = 0;
    do {
      const page = await singleView.scanCustomers(SCAN_PAGE, after, { signal: this.stopping.signal });
      for (const customer of page.customers) {
        if (this.stopped) return;
        if (customer.mergedInto || this.index.has(customer.id)) continue;
        if (this.hold(customer) === 'full') return;
        loaded++;
      }
      after = page.next;
      if (after !== undefined) await sleep(SCAN_PAUSE_MS, undefined, { signal: this.stopping.signal });
    } while (after !== undefined && !this.stopped);
    this.logger.debug({ customers: loaded }, 'online matching: candidate index filled');
  }

  async identified(scope: WriteScope, record: CustomerRecord, absorbed: readonly string[]): Promise<void> {
    // The first write starts filling the index: a gateway that only reads never scans the single view.
    void this.load(scope.services.singleView, LOAD_DELAY_MS);
    try {
      for (const id of absorbed) this.index.remove(id);
      const prepared = this.prepare(record);
      if (!comparable(prepared)) return;
      const held = this.index.put(prepared);
      if (held === 'unchanged' || held === 'full') return;
      const pairs = this.score(prepared);
      if (pairs.length === 0) return;
      const current = await scope.store.customers(pairs.map((pair) => pair.customerIds[1]));
      // A candidate merged or erased since the index heard of it is left for the next write or batch run.
      const live = pairs.filter((pair) => {
        const other = current.get(pair.customerIds[1]);
        return other !== undefined && !other.mergedInto;
      });
      if (live.length === 0) return;
      const { created } = await storeMatchSuggestions(scope, this.model, live);
      if (this.settings.autoMerge !== null) await this.autoMerge(scope, created.filter((suggestion) => suggestion.probability >= this.settings.autoMerge!).map((s) => s.id));
    } catch (error) {
      // Scoring is advice: the identify stands whatever happens here.
      this.logger.warn({ err: { type: (error as Error).name }, traceId: scope.context.traceId ?? undefined }, 'online matching failed for one identify; the customer is scored again at its next write or by npm run resolution:match');
    }
  }

  changed(records: readonly CustomerRecord[], gone: readonly string[]): void {
    for (const id of gone) this.index.remove(id);
    for (const record of records) if (!record.mergedInto) this.hold(record);
  }

  /** The held customer's pairs at or above the review threshold, most probable first. */
  private score(prepared: PreparedRecord): ScoredPair[] {
    const { compiled } = this.settings;
    const review = compiled.model.thresholds.review;
    return this.index
      .candidates(prepared.id)
      .map((other) => ({ customerIds: [prepared.id, other.id] as const, score: scorePair(compiled, prepared, other, this.index.adjustment) }))
      .filter((pair) => pair.score.probability >= review)
      .sort((a, b) => b.score.probability - a.score.probability);
  }

  private async autoMerge(scope: WriteScope, ids: readonly string[]): Promise<void> {
    const auto = new WriteScope(scope.services, { ...scope.context, principal: AUTO_MERGE_PRINCIPAL });
    for (const id of ids) {
      const outcome = await acceptSuggestion(auto, id);
      if (outcome.status === 'merged') this.changed([outcome.record], outcome.merged);
    }
  }

  private hold(customer: CustomerRecord): ReturnType<CandidateIndex['put']> | 'nothing' {
    const prepared = this.prepare(customer);
    if (!comparable(prepared)) return 'nothing';
    const held = this.index.put(prepared);
    if (held === 'full' && !this.warnedFull) {
      this.warnedFull = true;
      this.logger.warn({ capacity: this.settings.capacity }, 'online matching: the candidate index is full (C360_MATCH_INDEX_LIMIT); customers past it are scored by npm run resolution:match only');
    }
    return held;
  }

  private prepare(customer: CustomerRecord): PreparedRecord {
    return prepareRecord(matchRecordOfCustomer(customer), { defaultRegion: this.settings.defaultRegion, blocklist: this.settings.blocklist });
  }
}

/** A customer with no value the model compares (an anonymous visitor) has no candidates and is not held. */
function comparable(prepared: PreparedRecord): boolean {
  return prepared.fields.some((values) => values !== undefined);
}
