import { writeContext } from '../src/context.js';
import { forgetCustomer } from '../src/erasure/forgetCustomer.js';
import { badUserInput } from '../src/errors.js';
import type { MutationResolvers } from '../src/generated/graphql.js';
import type { GatewayContext } from '../src/context.js';
import { forgetCustomerId, identifyCommand, setConsentCommand, trackCommand } from '../src/writeInput.js';
import type { InputContext } from '../src/writeInput.js';

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
    return consent;
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
  return { defaultRegion: ctx.services.config.phoneDefaultRegion, source: ctx.principal.id, now: ctx.services.clock() };
}
