import { Kind, parse } from 'graphql';
import type { OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { fieldLocator } from './selection.js';

const DOCUMENT = `query Read($id: ID!) {
  first: customer(id: $id) {
    ...Contact
    identities { ... on Identity { value } }
    events(first: 2) { edges { node { properties } } }
  }
  customer(id: $id) { profile { email } }
  customer(id: $id) { profile { email phone } }
}
fragment Contact on Customer {
  profile { mail: email }
  profile { phone }
}
`;

/** Line and column (1-based) of the `nth` occurrence of `needle` in `text`, counted by hand. */
function at(text: string, needle: string, nth = 0): { line: number; column: number } {
  let index = -1;
  for (let i = 0; i <= nth; i++) index = text.indexOf(needle, index + 1);
  if (index < 0) throw new Error(`${needle} not in the document`);
  const before = text.slice(0, index).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

function locatorOf(text: string) {
  const document = parse(text);
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)!;
  return fieldLocator(document, operation);
}

describe('fieldLocator', () => {
  const locate = locatorOf(DOCUMENT);

  it('finds a field by its alias, through a named fragment, where its first node is', () => {
    expect(locate(['first', 'profile', 'mail'])).toEqual([at(DOCUMENT, 'mail: email')]);
    // The fragment's second `profile` is merged with its first: `phone` is found in it (the document's second `phone`).
    expect(locate(['first', 'profile', 'phone'])).toEqual([at(DOCUMENT, 'phone', 1)]);
    expect(locate(['first', 'profile'])).toEqual([at(DOCUMENT, 'profile { mail')]);
  });

  it('skips list indexes: a value in a list item is at its field, through an inline fragment', () => {
    expect(locate(['first', 'identities', 3, 'value'])).toEqual([at(DOCUMENT, 'value')]);
    expect(locate(['first', 'identities', 0, 'value'])).toEqual([at(DOCUMENT, 'value')]);
    expect(locate(['first', 'identities'])).toEqual([at(DOCUMENT, 'identities')]);
    expect(locate(['first', 'events', 'edges', 1, 'node', 'properties'])).toEqual([at(DOCUMENT, 'properties')]);
  });

  it('names the first of the fields merged at one response key', () => {
    expect(locate(['customer', 'profile', 'email'])).toEqual([at(DOCUMENT, 'email }')]);
    expect(locate(['customer', 'profile'])).toEqual([at(DOCUMENT, 'profile { email }')]);
    // Only the second `customer` selects phone, below the first's `profile` (merged with the second's).
    expect(locate(['customer', 'profile', 'phone'])).toEqual([at(DOCUMENT, 'phone }')]);
  });

  it('has no location for a value inside a field (an event property) or a key the document does not have', () => {
    expect(locate(['first', 'events', 'edges', 0, 'node', 'properties', 'total'])).toBeUndefined();
    expect(locate(['first', 'profile', 'email'])).toBeUndefined();
    expect(locate(['third'])).toBeUndefined();
    expect(locate([])).toBeUndefined();
  });

  it('follows the operation it is given, not the first of the document', () => {
    const text = `query A { customer(id: "a") { profile { email } } }\nquery B { x: customer(id: "b") { profile { email } } }`;
    const document = parse(text);
    const b = document.definitions[1] as OperationDefinitionNode;
    expect(fieldLocator(document, b)(['x', 'profile', 'email'])).toEqual([at(text, 'email', 1)]);
    expect(fieldLocator(document, b)(['customer', 'profile', 'email'])).toBeUndefined();
  });
});
