/** Merge suggestions: merges waiting for a person to accept or reject them. */
import type { SuggestionOrigin, SuggestionStatus } from './vocabulary.js';

/** One piece of evidence for a suggestion: which attribute, how it compared, and its weight when a model scored it. Never a value. */
export interface MatchEvidenceRecord {
  readonly attribute: string;
  readonly level: string;
  readonly weight?: number | null;
}

/**
 * A merge waiting for a person (docs/identity-resolution.md, "Merge
 * suggestions"): identify kept it pending (UNVERIFIED_MERGE), or a matcher
 * suggested it. One per pair of customers: its id is derived from the pair,
 * so the same pair suggested again finds the one there is, and a rejected
 * pair stays rejected. Holds ids, types and levels, never a personal value.
 */
export interface MergeSuggestionRecord {
  readonly id: string;
  /** The two customers as they were when suggested, sorted; a reader follows merges. */
  readonly customerIds: readonly string[];
  readonly status: SuggestionStatus;
  readonly origin: SuggestionOrigin;
  /** 1 for an exact match on an identifier that was not verified; a model's probability for MATCH. */
  readonly probability: number;
  readonly evidence: readonly MatchEvidenceRecord[];
  /** MATCH: the name of the model that scored the pair (config/match-model.json `name`), for the merge's rule. */
  readonly model?: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The principal and trace of the request that made the suggestion. */
  readonly principal?: string | null;
  readonly traceId?: string | null;
  /** Who accepted or rejected it, when, and (a rejection) why, as given. */
  readonly decidedBy?: string | null;
  readonly decidedAt?: string | null;
  readonly reason?: string | null;
}

/** Where a page of suggestions starts: after this one, newest first. */
export interface SuggestionPosition {
  readonly createdAt: string;
  readonly id: string;
}

export interface SuggestionPage {
  readonly suggestions: readonly MergeSuggestionRecord[];
  readonly hasNextPage: boolean;
}
