import { createHash } from 'node:crypto';
import type { CustomerRecord, MatchEvidenceRecord, MergeSuggestionRecord, SuggestionOrigin, SuggestionPage, SuggestionPosition, SuggestionStatus } from '../domain/index.js';
import { identityIndexKey } from '../domain/index.js';
import { MergeEngine } from './mergeEngine.js';
import type { CommitJoins } from './mergeEngine.js';
import { MATCH_RULE_PREFIX } from './graphView.js';
import { suggestionDecision } from '../audit/index.js';
import { priorityRank } from './identityRules.js';
import type { IdentityPolicy } from './identityRules.js';
import type { WriteScope } from './scope.js';
import { RetryLater, withRetries } from './store.js';

/**
 * Merge suggestions (docs/identity-resolution.md, "Merge suggestions"):
 * merges a person decides. identify keeps here the merges it refused as
 * unverified (origin UNVERIFIED_MERGE); a matcher may add its own (MATCH)
 * through the same storage, and accepting either goes through the same merge
 * engine as identify.
 */
export interface SuggestedPair {
  readonly customerIds: readonly string[];
  readonly evidence: readonly MatchEvidenceRecord[];
}

/** One id per pair of customers, whichever order they come in: the same pair suggested again is the same suggestion. */
export function suggestionId(customerIds: readonly string[]): string {
  const pair = [...customerIds].sort().join('\u0000');
  return `ms_${createHash('sha256').update(pair).digest('base64url').slice(0, 24)}`;
}

/**
 * Stores each pair as an OPEN suggestion unless the pair has one already:
 * an open one stays as it is, and a rejected one stays rejected (a person
 * said no; the pair is not suggested again).
 */
export async function suggestMerges(scope: WriteScope, pairs: readonly SuggestedPair[], origin: SuggestionOrigin = 'UNVERIFIED_MERGE', probability = 1): Promise<void> {
  const at = scope.now().toISOString();
  await Promise.all(
    pairs.map((pair) =>
      scope.services.singleView.putMergeSuggestion(openSuggestion(scope, pair.customerIds, at, { origin, probability, evidence: [...pair.evidence] }), scope.store.call),
    ),
  );
}

/** A new OPEN suggestion for a pair (sorted, its id derived from it), made by the scope's principal and trace at `at`. */
export function openSuggestion(
  scope: WriteScope,
  pair: readonly string[],
  at: string,
  scored: Pick<MergeSuggestionRecord, 'origin' | 'probability' | 'evidence' | 'model'>,
): MergeSuggestionRecord {
  const customerIds = [...pair].sort();
  return {
    id: suggestionId(customerIds),
    customerIds,
    status: 'OPEN',
    ...scored,
    createdAt: at,
    updatedAt: at,
    principal: scope.context.principal,
    traceId: scope.context.traceId ?? null,
    decidedBy: null,
    decidedAt: null,
    reason: null,
  };
}

/**
 * An unmerge is a person's decision that the two are not one: the pair is
 * stored as a REJECTED suggestion (reason `unmerged`), so no matcher
 * suggests merging them again. A pair with a suggestion already keeps it.
 */
export async function keepApart(scope: WriteScope, customerIds: readonly [string, string]): Promise<void> {
  const at = scope.now().toISOString();
  const sorted = [...customerIds].sort();
  const record: MergeSuggestionRecord = {
    id: suggestionId(sorted),
    customerIds: sorted,
    status: 'REJECTED',
    origin: 'MATCH',
    probability: 0,
    evidence: [],
    createdAt: at,
    updatedAt: at,
    principal: scope.context.principal,
    traceId: scope.context.traceId ?? null,
    decidedBy: scope.context.principal,
    decidedAt: at,
    reason: 'unmerged',
  };
  await scope.services.singleView.putMergeSuggestion(record, scope.store.call);
}

export function listSuggestions(
  scope: WriteScope,
  query: { readonly status: SuggestionStatus; readonly first: number; readonly after?: SuggestionPosition | undefined },
): Promise<SuggestionPage> {
  return scope.services.singleView.listMergeSuggestions(query, scope.store.call);
}

export type AcceptOutcome =
  | { readonly status: 'merged'; readonly suggestion: MergeSuggestionRecord; readonly record: CustomerRecord; readonly merged: readonly string[] }
  | { readonly status: 'unknown' }
  | { readonly status: 'decided'; readonly suggestion: MergeSuggestionRecord }
  | { readonly status: 'customer-gone' }
  | { readonly status: 'exceeds-limit'; readonly limitType: string; readonly limit: number };

/**
 * Accepting merges the two customers (as they are now, after any merges
 * since) through the merge engine: the survivor is the one holding the
 * stronger identifier, per-type limits still apply, and the merge can be
 * undone by unmerge like any other. Logged on the survivor, then audited on
 * each customer's trail (src/audit/suggestions.ts); once the merge has
 * landed it is audited even if marking the suggestion decided fails.
 * A customer holding an identifier on the suppression list (an erasure
 * under way) is not merged: SuppressedIdentifierError, nothing changed.
 */
export async function acceptSuggestion(scope: WriteScope, id: string): Promise<AcceptOutcome> {
  const suggestion = await scope.services.singleView.getMergeSuggestion(id, scope.store.call);
  if (!suggestion) return { status: 'unknown' };
  if (suggestion.status !== 'OPEN') return { status: 'decided', suggestion };
  const graph = new MergeEngine(scope);
  let landed: Extract<PairOutcome, { status: 'merged' }> | undefined;
  try {
    const outcome = await withRetries('acceptMergeSuggestion', () => mergePair(scope, graph, suggestion));
    if (outcome.status !== 'merged') return outcome;
    landed = outcome;
    // Another operator decided it meanwhile; the merge stands either way (an unmerge undoes it).
    const decided = (await decide(scope, suggestion, 'ACCEPTED', null)) ?? { ...suggestion, status: 'ACCEPTED' as const };
    return { ...outcome, suggestion: decided };
  } finally {
    // The identity change log first, with principal and trace id; then the audit records.
    await scope.flushLog();
    if (landed) {
      const customers = [
        { customerId: landed.record.id, side: 'survivor' as const },
        ...landed.merged.map((customerId) => ({ customerId, side: 'absorbed' as const })),
      ];
      await scope.services.audit.appliedChanges(scope.actor('acceptMergeSuggestion'), suggestionDecision(suggestion, 'ACCEPTED', customers), scope.context.span);
    }
  }
}

export type RejectOutcome = { readonly status: 'rejected'; readonly suggestion: MergeSuggestionRecord } | { readonly status: 'unknown' } | { readonly status: 'decided'; readonly suggestion: MergeSuggestionRecord };

/** Rejecting keeps the pair apart for good: identify finds the rejected suggestion and does not open it again. */
export async function rejectSuggestion(scope: WriteScope, id: string, reason: string): Promise<RejectOutcome> {
  const suggestion = await scope.services.singleView.getMergeSuggestion(id, scope.store.call);
  if (!suggestion) return { status: 'unknown' };
  if (suggestion.status !== 'OPEN') return { status: 'decided', suggestion };
  const decided = await decide(scope, suggestion, 'REJECTED', reason);
  if (!decided) return { status: 'decided', suggestion };
  const customers = decided.customerIds.map((customerId) => ({ customerId, side: 'kept-apart' as const }));
  await scope.services.audit.appliedChanges(scope.actor('rejectMergeSuggestion'), suggestionDecision(decided, 'REJECTED', customers), scope.context.span);
  return { status: 'rejected', suggestion: decided };
}

type PairOutcome =
  | { readonly status: 'merged'; readonly record: CustomerRecord; readonly merged: readonly string[] }
  | Extract<AcceptOutcome, { status: 'customer-gone' | 'exceeds-limit' }>;

async function mergePair(scope: WriteScope, graph: MergeEngine, suggestion: MergeSuggestionRecord): Promise<PairOutcome> {
  const current = await graph.canonical(suggestion.customerIds);
  const customers = suggestion.customerIds.map((id) => current.get(id) ?? null);
  if (customers.some((customer) => customer === null)) return { status: 'customer-gone' };
  const [a, b] = customers as [CustomerRecord, CustomerRecord];
  if (a.id === b.id) return { status: 'merged', record: a, merged: [] };
  // A customer whose erasure is under way holds suppressed identifiers: merging it would carry them into another customer.
  const held = [...a.identities, ...b.identities].map(({ type, value }, index) => ({ key: { type, value }, index }));
  await scope.services.suppressions.refuseSuppressed(held, scope.context.span);
  const { policy } = scope.services;
  const [survivor, absorbed] = stronger(policy, a, b) === a ? [a, b] : [b, a];
  const frozen = await graph.freeze(absorbed, survivor.id);
  if (!frozen) throw new RetryLater('the customer to merge changed meanwhile');
  const commit = await graph.commit(survivor.id, [frozen], [], undefined, mergeRule(suggestion), joinsOf(policy, survivor, absorbed));
  if (commit.status === 'survivor-moved') {
    await graph.unfreeze(frozen);
    throw new RetryLater('the survivor was merged or erased meanwhile');
  }
  const refused = commit.plan.refused[0];
  if (refused) return { status: 'exceeds-limit', limitType: refused.type, limit: policy.limits[refused.type] };
  return { status: 'merged', record: commit.record, merged: [absorbed.id] };
}

/**
 * The rule the merge is logged under: a matcher's names the model and the
 * probability it gave (`match:febrl3:p=0.998213`), which the identity graph
 * shows as an edge of kind MATCH (src/identity/identityGraph.ts).
 */
export function mergeRule(suggestion: MergeSuggestionRecord): string {
  if (suggestion.origin !== 'MATCH') return `suggestion:${suggestion.origin}`;
  return `${MATCH_RULE_PREFIX}${suggestion.model ?? 'model'}:p=${suggestion.probability}`;
}

/** The merge joins the two customers' strongest identifiers, so explainLink finds a path across it. */
function joinsOf(policy: IdentityPolicy, survivor: CustomerRecord, absorbed: CustomerRecord): CommitJoins {
  const strongest = (customer: CustomerRecord) =>
    [...customer.identities].sort((a, b) => priorityRank(policy, a.type) - priorityRank(policy, b.type) || a.firstSeenAt.localeCompare(b.firstSeenAt))[0];
  const anchor = strongest(survivor);
  const other = strongest(absorbed);
  return { anchorKey: anchor ? identityIndexKey(anchor) : null, otherKeys: new Map(other ? [[absorbed.id, identityIndexKey(other)]] : []) };
}

/** The customer holding the stronger identifier (priority order); then the older, then the smaller id, as identify chooses. */
function stronger(policy: IdentityPolicy, a: CustomerRecord, b: CustomerRecord): CustomerRecord {
  const rank = (customer: CustomerRecord) => Math.min(...customer.identities.map((identity) => priorityRank(policy, identity.type)), policy.priority.length);
  if (rank(a) !== rank(b)) return rank(a) < rank(b) ? a : b;
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? a : b;
  return a.id < b.id ? a : b;
}

async function decide(scope: WriteScope, suggestion: MergeSuggestionRecord, status: SuggestionStatus, reason: string | null): Promise<MergeSuggestionRecord | null> {
  const at = scope.now().toISOString();
  const decided: MergeSuggestionRecord = { ...suggestion, status, updatedAt: at, decidedAt: at, decidedBy: scope.context.principal, reason };
  const outcome = await scope.services.singleView.replaceMergeSuggestion(decided, 'OPEN', scope.store.call);
  return outcome === 'written' ? decided : null;
}
