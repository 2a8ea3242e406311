import { customerNeeds, loadCustomers } from '../src/customers.js';
import { decodeCursor, encodeCursor } from '../src/cursor.js';
import type { SegmentMemberEdgeResolvers, SegmentResolvers } from '../src/generated/graphql.js';
import { piiAccessDenied } from '../src/errors.js';
import { pageSize } from '../src/validation.js';

const CURSOR_TIME = '1970-01-01T00:00:00.000Z';

/** A segment definition, and its members from the segment index (docs/segments.md). */
export const Segment: SegmentResolvers = {
  async members(segment, args, ctx) {
    const first = pageSize(args.first, 'first');
    const after = decodeCursor(args.after, 'after');
    // Who is in a segment is behavioural data about each member: the list is read only for a stated purpose.
    if (ctx.purpose === null) throw piiAccessDenied('PURPOSE_REQUIRED', 'BEHAVIORAL', null);
    const page = await ctx.services.ports.singleView.listSegmentMembers(segment.id, first, after?.id, { parentSpan: ctx.span });
    const edges = page.members.map((member) => ({
      // Members are in customer id order: the cursor needs only the id (the time is a fixed placeholder, never `since`).
      cursor: encodeCursor({ at: CURSOR_TIME, id: member.customerId }),
      customerId: member.customerId,
      ownerId: member.customerId,
      since: member.since,
    }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  },
};

export const SegmentMemberEdge: SegmentMemberEdgeResolvers = {
  // Loaded through the request's loaders: the page's members are read in one batch, as any customers are.
  async node(edge, _args, ctx, info) {
    const [customer] = await loadCustomers(ctx, [edge.customerId], customerNeeds(info));
    if (customer instanceof Error) throw customer;
    return customer ?? null;
  },
  since: (edge) => edge.since,
};
