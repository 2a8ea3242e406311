import type { MergeSuggestionRecord } from '../domain/index.js';
import type { WriteScope } from '../identity/scope.js';
import { openSuggestion } from '../identity/suggestions.js';
import type { PairScore } from '../matching/index.js';

/** Two customers the model scored at or above its review threshold, with the score's evidence. */
export interface ScoredPair {
  readonly customerIds: readonly [string, string];
  readonly score: PairScore;
}

export interface StoredSuggestions {
  /** Suggestions stored by this call. */
  readonly created: readonly MergeSuggestionRecord[];
  /** Pairs that had a suggestion already, open or decided: left as they were (a rejected pair stays rejected). */
  readonly existing: number;
}

/**
 * Stores each pair as an OPEN suggestion of origin MATCH unless the pair has
 * one (of any origin or status): the store's conditional put decides, so
 * re-running the matcher, or two gateways scoring one pair at once, never
 * makes a second suggestion, and a pair a person rejected is not suggested
 * again. Evidence keeps each attribute's level and weight (bits), never a
 * value.
 */
export async function storeMatchSuggestions(scope: WriteScope, model: string, pairs: readonly ScoredPair[]): Promise<StoredSuggestions> {
  const at = scope.now().toISOString();
  const outcomes = await Promise.all(
    pairs.map(async (pair) => {
      const suggestion = openSuggestion(scope, pair.customerIds, at, {
        origin: 'MATCH',
        probability: round(pair.score.probability, 6),
        evidence: pair.score.evidence.map(({ attribute, level, weight }) => ({ attribute, level, weight: round(weight, 2) })),
        model,
      });
      const outcome = await scope.services.singleView.putMergeSuggestion(suggestion, scope.store.call);
      return outcome === 'written' ? suggestion : null;
    }),
  );
  const created = outcomes.filter((suggestion): suggestion is MergeSuggestionRecord => suggestion !== null);
  return { created, existing: pairs.length - created.length };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
