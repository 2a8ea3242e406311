import { writeContext } from '../src/context.js';
import { forgetCustomer } from '../src/erasure/forgetCustomer.js';
import { badUserInput } from '../src/errors.js';
import type { MutationResolvers } from '../src/generated/graphql.js';
import type { GatewayContext } from '../src/context.js';
import { forgetCustomerId, identifyCommand, setConsentCommand, trackCommand, unmergeCommand } from '../src/writeInput.js';
import type { InputContext } from '../src/writeInput.js';
import { writeOutcome } from '../src/models.js';

/** Writes. Each checks and normalizes its input, then hands a command to the write path. */
export const Mutation: MutationResolvers = {
  async identify(_root, { input }, ctx) {
    const outcome = await ctx.services.identity.identify(identifyCommand(input, inputContext(ctx)), writeContext(ctx));
    return { customer: { record: outcome.record }, merged: outcome.merged, rejectedLinks: outcome.rejected };
  },

  track(_root, { input }, ctx) {
    return ctx.services.identity.track(trackCommand(input, inputContext(ctx)), writeContext(ctx));
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

  forgetCustomer(_root, args, ctx) {
    return forgetCustomer(ctx.services.erasure, forgetCustomerId(args), {
      principal: ctx.principal.id,
      purpose: ctx.purpose,
      traceId: ctx.traceId,
      span: ctx.span,
    });
  },
};

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
