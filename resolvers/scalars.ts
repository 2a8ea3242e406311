import { GraphQLDate, GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';

/** DateTime, Date and JSON from graphql-scalars: RFC 3339 checked on input, ISO strings on output. */
export const scalarResolvers = {
  DateTime: GraphQLDateTime,
  Date: GraphQLDate,
  JSON: GraphQLJSON,
};
