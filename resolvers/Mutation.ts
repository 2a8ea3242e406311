import { writeContext } from '../src/context.js';
import { forgetCustomer } from '../src/erasure/forgetCustomer.js';
import { liftSuppression } from '../src/erasure/liftSuppression.js';
import { SuppressedIdentifierError } from '../src/erasure/suppression.js';
import { badUserInput, suppressed } from '../src/errors.js';
import type { MutationResolvers } from '../src/generated/graphql.js';
import type { GatewayContext } from '../src/context.js';
import {
  forgetCustomerSubject,
  identifyCommand,
  liftSuppressionIdentity,
  setConsentCommand,
  trackCommand,
  unmergeCommand,
} from '../src/writeInput.js';
import type { InputContext } from '../src/writeInput.js';

/** Writes. Each checks and normalizes its input, then hands a command to the write path. */
export const Mutation: MutationResolvers = {
  async identify(_root, { input }, ctx) {
    const outcome = await ctx.services.identity
      .identify(identifyCommand(input, inputContext(ctx)), writeContext(ctx))
      .catch(refusingSuppressed((index) => `input.identities[${index}].value`));
    return { customer: { record: outcome.record }, merged: outcome.merged, rejectedLinks: outcome.rejected };
  },

  track(_root, { input }, ctx) {
    return ctx.services.identity.track(trackCommand(input, inputContext(ctx)), writeContext(ctx)).catch(refusingSuppressed(() => 'input.identity.value'));
  },

  async setConsent(_root, { input }, ctx) {
    const consent = await ctx.services.identity.setConsent(setConsentCommand(input), writeContext(ctx));
    if (!consent) throw badUserInput('input.customerId matches no customer.', 'input.customerId');
    return consent;
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
  return { defaultRegion: config.phoneDefaultRegion, source: ctx.principal.id, now: ctx.services.clock(), blocklist: config.identity.blocked };
}
