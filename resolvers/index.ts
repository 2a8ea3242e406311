import type { Resolvers } from '../src/generated/graphql.js';
import { CrmRecord } from './CrmRecord.js';
import { Customer } from './Customer.js';
import { ErasureReceipt } from './ErasureReceipt.js';
import { Identity } from './Identity.js';
import { IdentityGraph } from './IdentityGraph.js';
import { MergeSuggestion } from './MergeSuggestion.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { Segment, SegmentMemberEdge } from './Segment.js';
import { SegmentMembership } from './SegmentMembership.js';
import { scalarResolvers } from './scalars.js';

export const resolvers: Resolvers = {
  ...scalarResolvers,
  Query,
  Mutation,
  Customer,
  ErasureReceipt,
  Identity,
  IdentityGraph,
  MergeSuggestion,
  Segment,
  SegmentMemberEdge,
  SegmentMembership,
  CrmRecord,
};
