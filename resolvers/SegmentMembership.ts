import type { SegmentMembershipResolvers } from '../src/generated/graphql.js';

export const SegmentMembership: SegmentMembershipResolvers = {
  // Customer.segments drops memberships of segments no longer defined, so this is found.
  segment: (membership, _args, ctx) => ctx.services.segments.get(membership.segmentId)!,
  since: (membership) => membership.since,
};
