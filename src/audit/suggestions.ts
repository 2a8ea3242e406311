import type { SuggestionOrigin } from '../domain/index.js';
import type { AuditDetail } from './records.js';

/** A merge suggestion as its audit records name it: by its own id, never by the pair of customers it is about. */
export interface DecidedSuggestion {
  readonly id: string;
  readonly origin: SuggestionOrigin;
}

/** Where a customer stood in a decision: kept apart, or merged as the survivor or as the one absorbed. */
export type SuggestionSide = 'kept-apart' | 'survivor' | 'absorbed';

/**
 * The records of a decision on a merge suggestion (acceptMergeSuggestion,
 * rejectMergeSuggestion), one on each customer's own trail, like the
 * records of identify's merges and of unmerge: the suggestion's id and
 * origin, the decision and the side the customer was on; never the other
 * customer's id (the suggestion and the identity change log keep the pair),
 * a value, or a rejection's reason (free text).
 */
export function suggestionDecision(
  suggestion: DecidedSuggestion,
  decision: 'ACCEPTED' | 'REJECTED',
  customers: ReadonlyArray<{ readonly customerId: string; readonly side: SuggestionSide }>,
): Array<{ customerId: string; detail: AuditDetail }> {
  const seen = new Set<string>();
  return customers
    .filter(({ customerId }) => !seen.has(customerId) && seen.add(customerId))
    .map(({ customerId, side }) => ({
      customerId,
      detail: { change: 'mergeSuggestion', decision, suggestion: suggestion.id, origin: suggestion.origin, side },
    }));
}
