import { GraphQLScalarType } from 'graphql';
import { GraphQLDate, GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { RedactedText } from '../src/privacy/redact.js';

/**
 * DateTime, Date and JSON from graphql-scalars: RFC 3339 checked on input,
 * ISO strings on output. A masked or hashed date (`1984-**-**`) is not a
 * date any more; the privacy layer hands it over as RedactedText, which
 * these two pass through as its text.
 */
function passingRedacted(scalar: GraphQLScalarType, serialized: (value: unknown, input: unknown) => unknown = (value) => value): GraphQLScalarType {
  const config = scalar.toConfig();
  return new GraphQLScalarType({
    ...config,
    serialize: (value) => (value instanceof RedactedText ? value.text : serialized(config.serialize(value), value)),
  });
}

/**
 * graphql-scalars' DateTime serializes to a Date object, which JSON.stringify
 * writes as `toISOString()`; the gateway writes that text itself. The bytes
 * are the same, and a response of plain strings keeps JSON.stringify on its
 * fast path: each Date object cost it about 5 µs, a few milliseconds for a
 * batch of 100 customers with their consents and segments (bench/README.md,
 * issue 18). A stored instant is already that text (UTC, milliseconds, as
 * the gateway writes them): once graphql-scalars has checked it, it is
 * handed out as it is, without writing it again.
 */
const isoText = (value: unknown, input: unknown) => {
  if (!(value instanceof Date)) return value;
  return typeof input === 'string' && ISO_UTC_MILLISECONDS.test(input) ? input : value.toISOString();
};

/** The form toISOString() writes for years 0–9999; seconds below 60 (a leap second is written as the next minute). */
const ISO_UTC_MILLISECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:[0-5]\d\.\d{3}Z$/;

export const scalarResolvers = {
  DateTime: passingRedacted(GraphQLDateTime, isoText),
  Date: passingRedacted(GraphQLDate),
  JSON: GraphQLJSON,
};

/** The same scalars with graphql-scalars' own output (Date objects), as a user of the library would run them: the bare Apollo baseline's (bench/baselines/apollo.ts). */
export const stockScalarResolvers = {
  DateTime: passingRedacted(GraphQLDateTime),
  Date: passingRedacted(GraphQLDate),
  JSON: GraphQLJSON,
};
