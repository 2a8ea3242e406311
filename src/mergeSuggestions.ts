import type { MergeSuggestionRecord } from './domain/index.js';
import type { GatewayContext } from './context.js';
import type { MergeSuggestionModel } from './models.js';

/**
 * Suggestions as the schema answers them, each owned by its customers as
 * they are now (an id absorbed by a merge since stands for its survivor), so
 * what a suggestion says about them is decided on the consents of the people
 * it is about and audited on their own trails. The resolution read is the one
 * MergeSuggestion.customers makes (the request's loader holds it); where
 * resolution cannot answer, the id as suggested stands.
 */
export async function suggestionModels(ctx: GatewayContext, suggestions: readonly MergeSuggestionRecord[]): Promise<MergeSuggestionModel[]> {
  const ids = [...new Set(suggestions.flatMap((suggestion) => suggestion.customerIds))];
  const canonical = ids.length > 0 ? await ctx.loaders.canonicalIds.loadMany(ids) : [];
  const current = new Map(ids.map((id, i) => [id, typeof canonical[i] === 'string' ? canonical[i] : id]));
  return suggestions.map((suggestion) => ({ ...suggestion, ownerIds: [...new Set(suggestion.customerIds.map((id) => current.get(id) ?? id))] }));
}
