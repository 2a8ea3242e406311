import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { weighingVariables } from '../hardening/queryCost.js';
import { buildBaseSchema } from './schema.js';
import { PlanCache, selectedCoordinates } from './operationPlan.js';

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

describe('plans kept per document (PlanCache)', () => {
  const text = 'query A { viewer { id } } query B { segments { id } }';
  const counted = () => {
    const made: string[] = [];
    return { made, make: (what: string) => () => (made.push(what), what) };
  };

  it('makes a plan once per document, operation and variant, and finds it by the document object', () => {
    const cache = new PlanCache<string>(10);
    const { made, make } = counted();
    const document = parse(text);
    expect(cache.get(document, 'h1', 'A', 'x', make('A/x'))).toBe('A/x');
    expect(cache.get(document, 'h1', 'A', 'x', make('again'))).toBe('A/x');
    expect(cache.get(document, 'h1', 'B', 'x', make('B/x'))).toBe('B/x');
    expect(cache.get(document, 'h1', 'A', 'y', make('A/y'))).toBe('A/y');
    expect(cache.get(document, 'h1', null, 'x', make('none/x'))).toBe('none/x');
    expect(made).toEqual(['A/x', 'B/x', 'A/y', 'none/x']);
  });

  it('finds the plan of a document parsed again from the same text by its hash, and keeps a plan that is false', () => {
    const cache = new PlanCache<boolean>(10);
    let made = 0;
    const make = () => (made++, false);
    expect(cache.get(parse(text), 'h1', 'A', '', make)).toBe(false);
    expect(cache.get(parse(text), 'h1', 'A', '', make)).toBe(false);
    const document = parse(text);
    expect(cache.get(document, 'h1', 'A', '', make)).toBe(false);
    expect(cache.get(document, 'h1', 'A', '', make)).toBe(false);
    expect(made).toBe(1);
  });

  it('bounds the plans of documents parsed afresh by the LRU', () => {
    const cache = new PlanCache<string>(2);
    const { made, make } = counted();
    for (const hash of ['h1', 'h2', 'h3', 'h1']) cache.get(parse(text), hash, 'A', '', make(hash));
    expect(made).toEqual(['h1', 'h2', 'h3', 'h1']);
  });

  it('bounds the plans kept on one document (a client naming ever-new variants)', () => {
    const cache = new PlanCache<string>(1);
    const { made, make } = counted();
    const document = parse(text);
    for (let i = 0; i < 100; i++) cache.get(document, 'h1', 'A', `v${i}`, make(`v${i}`));
    made.length = 0;
    cache.get(document, 'h1', 'A', 'v0', make('v0 again'));
    cache.get(document, 'h1', 'A', 'v99', make('v99 again'));
    // The first 64 are kept on the document; past that only the LRU (of one) holds the last.
    expect(made).toEqual([]);
    cache.get(document, 'h1', 'A', 'v98', make('v98 again'));
    expect(made).toEqual(['v98 again']);
  });

  it('forgets everything on clear', () => {
    const cache = new PlanCache<string>(10);
    const { made, make } = counted();
    const document = parse(text);
    cache.get(document, 'h1', 'A', '', make('first'));
    cache.clear();
    expect(cache.get(document, 'h1', 'A', '', make('second'))).toBe('second');
    expect(made).toEqual(['first', 'second']);
  });
});
