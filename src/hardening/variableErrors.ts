import {
  GraphQLError,
  coerceInputValue,
  getNamedType,
  getNullableType,
  isInputObjectType,
  isInputType,
  isListType,
  isNonNullType,
  typeFromAST,
} from 'graphql';
import type { GraphQLInputType, GraphQLSchema, OperationDefinitionNode, VariableDefinitionNode } from 'graphql';
import { ErrorCode } from '../errors.js';
import type { RequestCheck } from './checks.js';

/** A field name a client sent that may be repeated back: a GraphQL name, nothing else. */
const SAFE_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

/**
 * Variables checked against their types before execution, with errors that
 * name the variable, where in it, and the expected type, but never the value
 * sent and never a "Did you mean" suggestion (docs/security.md, "Bad
 * input"). graphql-js's own coercion errors quote the value (an e-mail sent
 * as an enum, a date of birth), which then lands in client logs and traces.
 * Values that coerce are left to the executor as they are.
 */
export function variableErrorsCheck(): RequestCheck {
  return {
    operation({ schema, operation, request }) {
      // Apollo calls this hook even when no operation matched the operationName (it refuses that afterwards).
      const resolved = operation as typeof operation | undefined;
      if (!resolved?.variableDefinitions?.length) return;
      const error = firstVariableError(schema, resolved, request.variables ?? {});
      if (error) throw error;
    },
  };
}

export function firstVariableError(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  inputs: Readonly<Record<string, unknown>>,
): GraphQLError | undefined {
  for (const definition of operation.variableDefinitions ?? []) {
    const error = variableError(schema, definition, inputs);
    if (error) return error;
  }
  return undefined;
}

function variableError(schema: GraphQLSchema, definition: VariableDefinitionNode, inputs: Readonly<Record<string, unknown>>): GraphQLError | undefined {
  const name = definition.variable.name.value;
  const type = typeFromAST(schema, definition.type);
  // Validation has already refused an unknown or output type.
  if (!type || !isInputType(type)) return undefined;
  if (!Object.hasOwn(inputs, name)) {
    if (definition.defaultValue || !isNonNullType(type)) return undefined;
    return invalid(`Variable "$${name}" of required type "${String(type)}" was not provided.`, name, name, String(type));
  }
  let found: GraphQLError | undefined;
  coerceInputValue(
    inputs[name],
    type,
    (path, invalidValue, error) => {
      found ??= describe(name, type, path, invalidValue, error);
    },
    true,
  );
  return found;
}

/** The problem in words of the schema only: the path, the type expected there, a field name the type defines. */
function describe(
  variable: string,
  variableType: GraphQLInputType,
  path: ReadonlyArray<string | number>,
  invalidValue: unknown,
  error: GraphQLError,
): GraphQLError {
  const field = `${variable}${path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('')}`;
  const at = path.length > 0 ? ` at "${field}"` : '';
  const type = typeAt(variableType, path);
  const named = getNamedType(type);
  const prefix = `Variable "$${variable}" got an invalid value${at}`;
  if (isInputObjectType(named) && typeof invalidValue === 'object' && invalidValue !== null && !Array.isArray(invalidValue)) {
    const defined = named.getFields();
    if (error.message.includes('is not defined by type')) {
      const unknown = Object.keys(invalidValue).find((key) => !defined[key]);
      const shown = unknown !== undefined && SAFE_NAME.test(unknown) ? `field "${unknown}"` : 'a field';
      return invalid(`${prefix}; ${shown} is not defined by type "${named.name}".`, variable, field, named.name);
    }
    const missing = Object.values(defined).find(
      (input) => isNonNullType(input.type) && input.defaultValue === undefined && (invalidValue as Record<string, unknown>)[input.name] === undefined,
    );
    if (missing) {
      return invalid(`${prefix}; field "${missing.name}" of required type "${String(missing.type)}" was not provided.`, variable, field, named.name);
    }
  }
  if (invalidValue === null || invalidValue === undefined) {
    return invalid(`${prefix}; expected type "${String(type)}", which must not be null.`, variable, field, String(type));
  }
  return invalid(`${prefix}; expected type "${named.name}".`, variable, field, named.name);
}

/** The declared type at `path` inside a variable of type `type` (lists accept a single item, as coercion does). */
function typeAt(type: GraphQLInputType, path: ReadonlyArray<string | number>): GraphQLInputType {
  let current = type;
  for (const key of path) {
    const nullable = getNullableType(current);
    if (isListType(nullable)) {
      current = nullable.ofType;
      if (typeof key === 'number') continue;
    }
    const object = getNullableType(current);
    if (typeof key === 'string' && isInputObjectType(object)) {
      const next = object.getFields()[key];
      if (!next) return current;
      current = next.type;
    }
  }
  return current;
}

function invalid(message: string, variable: string, field: string, expectedType: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: ErrorCode.BAD_USER_INPUT, variable, field, expectedType, http: { status: 400 } },
  });
}
