import { writeContext } from '../src/context.js';
import { forgetCustomer } from '../src/erasure/forgetCustomer.js';
import { liftSuppression } from '../src/erasure/liftSuppression.js';
import { SuppressedIdentifierError } from '../src/erasure/suppression.js';
import { badUserInput, forbidden, idempotencyKeyReused, suppressed } from '../src/errors.js';
import { IdempotencyKeyReused } from '../src/identity/track.js';
import type { MutationResolvers } from '../src/generated/graphql.js';
import type { GatewayContext } from '../src/context.js';
import {
  MAX_REASON_LENGTH,
  forgetCustomerSubject,
  identifyCommand,
  liftSuppressionIdentity,
  setConsentCommand,
  text,
  trackCommand,
  unmergeCommand,
  verifiedIndexes,
} from '../src/writeInput.js';
import { suggestionIdArgument } from '../src/validation.js';
import type { InputContext } from '../src/writeInput.js';
import { writeOutcome } from '../src/models.js';
import { suggestionModels } from '../src/mergeSuggestions.js';

/** The scope that lets a caller mark identifiers verified in identify. */
const VERIFY_SCOPE = 'identity:verify';

/** Writes. Each checks and normalizes its input, then hands a command to the write path. */
export const Mutation: MutationResolvers = {
  async identify(_root, { input }, ctx) {
    const [claimed] = verifiedIndexes(input);
    if (claimed !== undefined && !ctx.principal.scopes.has(VERIFY_SCOPE)) {
      throw forbidden(`input.identities[${claimed}].verified needs the scope ${VERIFY_SCOPE}.`, { scope: VERIFY_SCOPE, field: `input.identities[${claimed}].verified` });
    }
    const outcome = await ctx.services.identity
      .identify(identifyCommand(input, inputContext(ctx)), writeContext(ctx))
      .catch(refusingSuppressed((index) => `input.identities[${index}].value`));
    return { customer: { record: outcome.record }, merged: outcome.merged, rejectedLinks: outcome.rejected };
  },

  async track(_root, { input }, ctx) {
    try {
      return await ctx.services.identity.track(trackCommand(input, inputContext(ctx)), writeContext(ctx));
    } catch (error) {
      if (error instanceof IdempotencyKeyReused) throw idempotencyKeyReused();
      return refusingSuppressed(() => 'input.identity.value')(error);
    }
  },

  async setConsent(_root, { input }, ctx) {
    const consent = await ctx.services.identity.setConsent(setConsentCommand(input), writeContext(ctx));
    if (!consent) throw badUserInput('input.customerId matches no customer.', 'input.customerId');
    // The decision the caller just sent, as stored: its own outcome, not a read of the customer.
    return writeOutcome(consent);
  },

  async unmerge(_root, args, ctx) {
    const command = unmergeCommand(args, inputContext(ctx));
    const outcome = await ctx.services.identity.unmerge(command, writeContext(ctx));
    switch (outcome.status) {
      case 'unknown-customer':
        throw badUserInput('customerId matches no customer.', 'customerId');
      case 'not-held':
        throw badUserInput(`identities[${outcome.index}] is not held by the customer; name identifiers the customer holds.`, `identities[${outcome.index}]`);
      case 'leaves-none':
        throw badUserInput('identities names every identifier of the customer; an unmerge must leave the customer at least one.', 'identities');
      case 'split':
        return { customer: { record: outcome.original }, splitCustomer: { record: outcome.split }, duplicate: outcome.duplicate };
    }
  },

  async acceptMergeSuggestion(_root, args, ctx) {
    const outcome = await ctx.services.identity
      .acceptMergeSuggestion(suggestionIdArgument(args.id, 'id'), writeContext(ctx))
      .catch((error: unknown) => {
        if (!(error instanceof SuppressedIdentifierError)) throw error;
        throw suppressed(
          'id',
          'A customer of this merge suggestion is being erased: it holds identifiers on the suppression list; nothing was merged. Finish the erasure (repeat forgetCustomer), then reject the suggestion.',
        );
      });
    switch (outcome.status) {
      case 'unknown':
        throw badUserInput('id matches no merge suggestion.', 'id');
      case 'decided':
        throw badUserInput(`The merge suggestion was already ${outcome.suggestion.status.toLowerCase()}.`, 'id', { status: outcome.suggestion.status });
      case 'customer-gone':
        throw badUserInput('One of the two customers no longer exists (erased); reject the suggestion instead.', 'id');
      case 'exceeds-limit':
        throw badUserInput(`Merging the two would give one customer more than ${outcome.limit} ${outcome.limitType} identifiers.`, 'id', {
          reason: 'MERGE_EXCEEDS_LIMIT',
          limitType: outcome.limitType,
          limit: outcome.limit,
        });
      case 'merged':
        // Both are one customer now: what the suggestion says is about the survivor.
        return { suggestion: { ...outcome.suggestion, ownerIds: [outcome.record.id] }, customer: { record: outcome.record }, merged: outcome.merged };
    }
  },

  async rejectMergeSuggestion(_root, args, ctx) {
    const reason = text(args.reason, 'reason', MAX_REASON_LENGTH, 1);
    const outcome = await ctx.services.identity.rejectMergeSuggestion(suggestionIdArgument(args.id, 'id'), reason, writeContext(ctx));
    switch (outcome.status) {
      case 'unknown':
        throw badUserInput('id matches no merge suggestion.', 'id');
      case 'decided':
        throw badUserInput(`The merge suggestion was already ${outcome.suggestion.status.toLowerCase()}.`, 'id', { status: outcome.suggestion.status });
      case 'rejected': {
        const [suggestion] = await suggestionModels(ctx, [outcome.suggestion]);
        return suggestion!;
      }
    }
  },

  forgetCustomer(_root, args, ctx) {
    return forgetCustomer(ctx.services.erasure, forgetCustomerSubject(args, inputContext(ctx)), erasureRequest(ctx));
  },

  async liftSuppression(_root, args, ctx) {
    const lifted = await liftSuppression(ctx.services.erasure, liftSuppressionIdentity(args, inputContext(ctx)), erasureRequest(ctx));
    return lifted !== null;
  },
};

function erasureRequest(ctx: GatewayContext) {
  return { principal: ctx.principal.id, purpose: ctx.purpose, traceId: ctx.traceId, span: ctx.span };
}

/** A write that named a suppressed identifier: SUPPRESSED at that input field. */
function refusingSuppressed(field: (index: number) => string) {
  return (error: unknown): never => {
    if (error instanceof SuppressedIdentifierError) throw suppressed(field(error.index));
    throw error;
  };
}

function inputContext(ctx: GatewayContext): InputContext {
  const { config } = ctx.services;
  return {
    defaultRegion: config.phoneDefaultRegion,
    source: ctx.principal.id,
    now: ctx.services.clock(),
    blocklist: config.identity.blocked,
    trackingPlan: ctx.services.trackingPlan,
  };
}
