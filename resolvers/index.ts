import type { Resolvers } from '../src/generated/graphql.js';
import { CrmRecord } from './CrmRecord.js';
import { Customer } from './Customer.js';
import { Query } from './Query.js';
import { SegmentMembership } from './SegmentMembership.js';
import { scalarResolvers } from './scalars.js';

export const resolvers: Resolvers = {
  ...scalarResolvers,
  Query,
  Customer,
  SegmentMembership,
  CrmRecord,
};
