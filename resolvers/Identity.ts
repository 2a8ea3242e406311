import type { IdentityResolvers } from '../src/generated/graphql.js';

/** An identifier of a customer; `value` is decided by the privacy layer like every personal field. */
export const Identity: IdentityResolvers = {
  verified: (identity) => identity.verified === true,
};
