import { Kind } from 'graphql';
import type { GraphQLError } from 'graphql';

/** Value literals written in the document itself (`value: "jane@example.com"`), as opposed to variables. */
const LITERAL_KINDS: ReadonlySet<string> = new Set([
  Kind.INT,
  Kind.FLOAT,
  Kind.STRING,
  Kind.BOOLEAN,
  Kind.NULL,
  Kind.ENUM,
  Kind.LIST,
  Kind.OBJECT,
]);

/** Where graphql-js and graphql-scalars name the expected type in an error about a literal. */
const EXPECTED_TYPE = [/^Expected value of type "([^"]+)"/, /^Enum "([^"]+)" cannot represent/, /does not exist in "([^"]+)" enum/, /^([_A-Za-z][_0-9A-Za-z]*) cannot represent/];

/**
 * A literal in the document that does not fit its type, in words of the
 * schema only. graphql-js's validation quotes the literal ("String cannot
 * represent a non string value: 4915112345678", "Enum "IdentityType" cannot
 * represent non-enum value: "jane@example.com""), so a value typed into the
 * wrong place, often a personal one, would come back in the error and land
 * in client logs and traces, as variables' would (variableErrors.ts). The location says
 * where; the expected type is named when the original message names it.
 * Errors about input fields (unknown, or required and missing) name schema
 * fields only and are left as they are; undefined for any other error.
 */
export function literalValueError(error: GraphQLError): { message: string; expectedType?: string } | undefined {
  const node = error.nodes?.[0];
  if (!node || !LITERAL_KINDS.has(node.kind) || error.message.startsWith('Field "')) return undefined;
  const expectedType = EXPECTED_TYPE.map((pattern) => pattern.exec(error.message)?.[1]).find((name) => name !== undefined);
  return expectedType
    ? { message: `Expected a value of type "${expectedType}" here; the value sent is not repeated.`, expectedType }
    : { message: 'The value here does not fit its type; the value sent is not repeated.' };
}
