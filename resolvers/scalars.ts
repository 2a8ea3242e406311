import { GraphQLScalarType } from 'graphql';
import { GraphQLDate, GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { RedactedText } from '../src/privacy/redact.js';

/**
 * DateTime, Date and JSON from graphql-scalars: RFC 3339 checked on input,
 * ISO strings on output. A masked or hashed date (`1984-**-**`) is not a
 * date any more; the privacy layer hands it over as RedactedText, which
 * these two pass through as its text.
 */
function passingRedacted(scalar: GraphQLScalarType): GraphQLScalarType {
  const config = scalar.toConfig();
  return new GraphQLScalarType({
    ...config,
    serialize: (value) => (value instanceof RedactedText ? value.text : config.serialize(value)),
  });
}

export const scalarResolvers = {
  DateTime: passingRedacted(GraphQLDateTime),
  Date: passingRedacted(GraphQLDate),
  JSON: GraphQLJSON,
};
