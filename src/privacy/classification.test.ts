import { makeExecutableSchema } from '@graphql-tools/schema';
import { describe, expect, it } from 'vitest';
import { buildBaseSchema } from '../graphql/schema.js';
import { ClassificationError, classifySchema } from './classification.js';

const DIRECTIVES = /* GraphQL */ `
  enum PiiClass { CONTACT IDENTIFIER DEMOGRAPHIC LOCATION FINANCIAL BEHAVIORAL SENSITIVE }
  scalar JSON
  directive @pii(class: PiiClass!) on FIELD_DEFINITION
  directive @notPersonal(reason: String!) on FIELD_DEFINITION
  directive @trackedProperties on FIELD_DEFINITION
`;

const schemaOf = (sdl: string) => makeExecutableSchema({ typeDefs: [DIRECTIVES, sdl] });

describe('classifying the schema at start', () => {
  it('classifies every field a response of the real schema can reach', () => {
    const classification = classifySchema(buildBaseSchema());
    expect(Object.fromEntries([...classification].filter(([coordinate]) => coordinate.startsWith('LoyaltyAccount.') || coordinate === 'Customer.loyalty'))).toEqual({
      'Customer.loyalty': { kind: 'part', piiClass: 'FINANCIAL' },
      'LoyaltyAccount.memberId': { kind: 'value', piiClass: 'IDENTIFIER', shape: 'string', list: false },
      'LoyaltyAccount.tier': { kind: 'value', piiClass: 'FINANCIAL', shape: 'string', list: false },
      'LoyaltyAccount.pointsBalance': { kind: 'value', piiClass: 'FINANCIAL', shape: 'number', list: false },
      'LoyaltyAccount.lifetimePoints': { kind: 'value', piiClass: 'FINANCIAL', shape: 'number', list: false },
      'LoyaltyAccount.tierExpiresAt': { kind: 'value', piiClass: 'FINANCIAL', shape: 'dateTime', list: false },
    });
    expect(classification.get('Profile.address')).toEqual({ kind: 'value', piiClass: 'LOCATION', shape: 'object', list: false });
    expect(classification.get('Event.properties')).toEqual({ kind: 'trackedProperties', piiClass: 'BEHAVIORAL' });
  });

  it('decides an object whose fields say nothing as one value, and a list of parts as a part', () => {
    const classification = classifySchema(
      schemaOf(`
        type Query { person: Person @notPersonal(reason: "a container") }
        type Person { home: Home @pii(class: LOCATION) visits: [Visit!] @pii(class: BEHAVIORAL) }
        type Home { street: String }
        type Visit { at: String @pii(class: BEHAVIORAL) }
      `),
    );
    expect(Object.fromEntries(classification)).toEqual({
      'Person.home': { kind: 'value', piiClass: 'LOCATION', shape: 'object', list: false },
      'Person.visits': { kind: 'part', piiClass: 'BEHAVIORAL' },
      'Visit.at': { kind: 'value', piiClass: 'BEHAVIORAL', shape: 'string', list: false },
    });
  });

  it.each([
    ['a field with neither directive', 'type Person { id: ID! @notPersonal(reason: "the id") verified: Boolean }', 'Person.verified has neither @pii nor @notPersonal: add @pii(class: CONTACT | IDENTIFIER'],
    ['a field with both', 'type Person { name: String @pii(class: CONTACT) @notPersonal(reason: "no") }', 'Person.name has both @pii and @notPersonal'],
    ['a non-null personal field', 'type Person { name: String! @pii(class: CONTACT) }', 'Person.name is @pii but non-null'],
    ['a reason left empty', 'type Person { id: ID @notPersonal(reason: " ") }', 'Person.id has @notPersonal without a reason'],
    ['tracked properties that are not JSON', 'type Person { props: String @pii(class: BEHAVIORAL) @trackedProperties }', 'Person.props has @trackedProperties but is not JSON'],
    ['an object reached both whole and as itself', 'type Person { home: Home @pii(class: LOCATION) other: Home @notPersonal(reason: "x") } type Home { street: String }', 'Home.street has neither @pii nor @notPersonal'],
  ])('refuses %s, naming Type.field and how to fix it', (_case, types, message) => {
    const schema = schemaOf(`type Query { person: Person @notPersonal(reason: "a container") } ${types}`);
    expect(() => classifySchema(schema)).toThrow(ClassificationError);
    expect(() => classifySchema(schema)).toThrow(message);
  });

  it('names every problem at once, so one start shows all that is left to classify', () => {
    const schema = schemaOf('type Query { person: Person @notPersonal(reason: "a container") } type Person { a: String b: String }');
    expect(() => classifySchema(schema)).toThrow(/Person\.a has neither[\s\S]*\n {2}Person\.b has neither/);
  });
});
