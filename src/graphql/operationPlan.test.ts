import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { weighingVariables } from '../hardening/queryCost.js';
import { buildBaseSchema } from './schema.js';
import { selectedCoordinates } from './operationPlan.js';

const schema = buildBaseSchema();
const coordinates = (query: string, operationName?: string) =>
  selectedCoordinates(schema, parse(query), operationName)
    .map(([type, field]) => `${type}.${field}`)
    .sort();

describe('the fields an operation can select (operation plan)', () => {
  it('follows aliases, fragments, inline fragments and nested lists', () => {
    const found = coordinates(`
      query A($id: ID!) { one: customer(id: $id) { ...Parts identities { value } } }
      fragment Parts on Customer { profile { email address { city } } ... on Customer { loyalty { tier } } }
    `);
    expect(found).toEqual(expect.arrayContaining(['Query.customer', 'Customer.profile', 'Profile.email', 'Customer.identities', 'Identity.value', 'Customer.loyalty', 'LoyaltyAccount.tier']));
    expect(found).not.toContain('Query.me');
  });

  it('takes the named operation of a document with several', () => {
    const document = 'query A { viewer { id } } query B { segments { id } }';
    expect(coordinates(document, 'B')).toEqual(['Query.segments', 'Segment.id']);
  });
});

describe('the variables an operation’s cost depends on', () => {
  it('are those weighing a list (`first`, `ids`) or skipping a selection, not an id', () => {
    const document = parse(`query($id: ID!, $ids: [ID!]!, $n: Int, $show: Boolean!) {
      customer(id: $id) { events(first: $n) { edges { cursor } } profile @include(if: $show) { email } }
      customers(ids: $ids) { id }
    }`);
    expect(weighingVariables(document)).toEqual(['ids', 'n', 'show']);
  });
});
