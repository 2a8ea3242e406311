import type { CustomerRecord } from '../domain/index.js';
import type { Blocklist } from '../identity/identityRules.js';
import { WriteScope } from '../identity/scope.js';
import type { IdentityServices, WriteContext } from '../identity/scope.js';
import { matchRecordOfCustomer } from '../matching/customerRecord.js';
import { MIN_TERM_FREQUENCY_POPULATION, Matcher, TermFrequencies, comparablePairs, prepareRecord } from '../matching/index.js';
import type { CompiledModel } from '../matching/index.js';
import { storeMatchSuggestions } from './store.js';
import type { ScoredPair } from './store.js';

export interface BatchMatchOptions {
  readonly compiled: CompiledModel;
  readonly defaultRegion: string;
  readonly blocklist: Blocklist;
  /** Pairs at or above this probability are suggested; the model's review threshold by default. */
  readonly threshold?: number | undefined;
  /** Scores without storing anything. */
  readonly dryRun?: boolean | undefined;
  readonly context: WriteContext;
}

/** What a run found and did: counts only, never a value or a customer id. */
export interface BatchMatchReport {
  readonly model: string;
  readonly threshold: number;
  /** Customers read (absorbed ones left out). */
  readonly customers: number;
  /** Customers with at least one value the model compares. */
  readonly compared: number;
  readonly candidatePairs: number;
  readonly comparablePairs: number;
  /** candidatePairs / comparablePairs: the share of all pairs blocking lets through. */
  readonly blockingFraction: number;
  readonly skippedBlocks: Readonly<Record<string, number>>;
  /** Pairs at or above the threshold. */
  readonly suggestedPairs: number;
  /** Stored by this run. */
  readonly created: number;
  /** Had a suggestion already (open, accepted or rejected): left as they were. */
  readonly existing: number;
  readonly seconds: number;
}

const SCAN_PAGE = 500;
const STORE_BATCH = 25;

/**
 * `npm run resolution:match`: scores every customer of the single view with
 * the model (blocking, term frequencies over the whole population) and
 * stores each pair at or above the threshold as a merge suggestion of origin
 * MATCH. Repeatable: a pair with a suggestion keeps it as it is, so a second
 * run stores nothing new and a rejected pair is never suggested again.
 */
export async function matchSingleView(services: IdentityServices, options: BatchMatchOptions): Promise<BatchMatchReport> {
  const started = performance.now();
  const scope = new WriteScope(services, options.context);
  const customers = await readCustomers(scope);
  const prepared = customers
    .map((customer) => prepareRecord(matchRecordOfCustomer(customer), { defaultRegion: options.defaultRegion, blocklist: options.blocklist }))
    .filter((record) => record.fields.some((values) => values !== undefined));
  // Too few customers to count on how common a name is: the levels' own weights (MIN_TERM_FREQUENCY_POPULATION).
  const unadjusted = prepared.length < MIN_TERM_FREQUENCY_POPULATION ? TermFrequencies.empty([]) : undefined;
  const matcher = new Matcher(options.compiled, prepared, { frequencies: unadjusted });
  const candidates = matcher.candidates();
  const threshold = options.threshold ?? options.compiled.model.thresholds.review;
  const pairs: ScoredPair[] = matcher
    .scoreCandidates(candidates)
    .filter((link) => link.probability >= threshold)
    .map((link) => ({ customerIds: [prepared[link.left]!.id, prepared[link.right]!.id] as const, score: matcher.explain(link.left, link.right) }));
  let created = 0;
  let existing = 0;
  if (!options.dryRun) {
    for (let i = 0; i < pairs.length; i += STORE_BATCH) {
      const stored = await storeMatchSuggestions(scope, options.compiled.model.name, pairs.slice(i, i + STORE_BATCH));
      created += stored.created.length;
      existing += stored.existing;
    }
  }
  const comparable = comparablePairs(prepared, false);
  return {
    model: options.compiled.model.name,
    threshold,
    customers: customers.length,
    compared: prepared.length,
    candidatePairs: candidates.count,
    comparablePairs: comparable,
    blockingFraction: comparable > 0 ? candidates.count / comparable : 0,
    skippedBlocks: candidates.skippedBlocks,
    suggestedPairs: pairs.length,
    created,
    existing,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Every customer not absorbed by a merge, a page at a time. */
async function readCustomers(scope: WriteScope): Promise<CustomerRecord[]> {
  const customers: CustomerRecord[] = [];
  let after: string | undefined;
  do {
    const page = await scope.services.singleView.scanCustomers(SCAN_PAGE, after, scope.store.call);
    customers.push(...page.customers.filter((customer) => !customer.mergedInto));
    after = page.next;
  } while (after !== undefined);
  return customers;
}
