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

/**
 * Whether a string is a stored instant (the form above) that names a real
 * calendar time: exactly the strings of that form graphql-scalars' DateTime
 * accepts, and for them it answers the string itself (isoText). A response
 * holds one for every timestamp (about 30 in a call-centre read); checked
 * here, each is spared graphql-scalars' four regular expressions, its
 * substrings and the Date object it builds only for isoText to drop.
 */
function isStoredInstant(value: string): boolean {
  if (value.length !== 24 || !ISO_UTC_MILLISECONDS.test(value)) return false;
  const digit = (at: number) => value.charCodeAt(at) - 48;
  const year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  const month = digit(5) * 10 + digit(6);
  const day = digit(8) * 10 + digit(9);
  const hour = digit(11) * 10 + digit(12);
  const minute = digit(14) * 10 + digit(15);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month) && hour <= 23 && minute <= 59;
}

function daysIn(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/** The gateway's DateTime: a stored instant as it is, anything else through graphql-scalars (isoText). */
function gatewayDateTime(): GraphQLScalarType {
  const checked = passingRedacted(GraphQLDateTime, isoText);
  const serialize = checked.serialize.bind(checked);
  return new GraphQLScalarType({ ...checked.toConfig(), serialize: (value) => (typeof value === 'string' && isStoredInstant(value) ? value : serialize(value)) });
}

export const scalarResolvers = {
  DateTime: gatewayDateTime(),
  Date: passingRedacted(GraphQLDate),
  JSON: GraphQLJSON,
};

/** The same scalars with graphql-scalars' own output (Date objects), as a user of the library would run them: the bare Apollo baseline's (bench/baselines/apollo.ts). */
export const stockScalarResolvers = {
  DateTime: passingRedacted(GraphQLDateTime),
  Date: passingRedacted(GraphQLDate),
  JSON: GraphQLJSON,
};
