import { readFileSync } from 'node:fs';
import { parse, print } from 'graphql';
import type { GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildBaseSchema } from '../graphql/schema.js';
import { classifySchema } from './classification.js';
import { PrivacyLedger } from './ledger.js';
import { loadPolicy } from './policy.js';
import type { Purpose } from '../domain/index.js';
import { OWNER_ID_TYPES } from '../models.js';
import { OWNER_KEY, buildResponsePlan, ownerTag, walkedFieldsOf, withOwnerTags } from './responsePlan.js';
import type { ObjectPlan } from './responsePlan.js';
import { decideResponse } from './responseWalk.js';

const schema = buildBaseSchema();
const walked = walkedFieldsOf(classifySchema(schema));

function plan(query: string, operationName: string | null = null) {
  const built = buildResponsePlan(schema, walked, parse(query), operationName);
  if (built.kind !== 'walked') throw new Error('expected a walked plan');
  return built;
}

function ledger(purpose: Purpose | null, consents: Record<string, 'GRANTED' | 'DENIED'> = {}): PrivacyLedger {
  return new PrivacyLedger({
    policy: loadPolicy(),
    purpose,
    callerCustomerId: undefined,
    loadOwner: async (ownerId) => ({ consents: new Map(purpose && consents[ownerId] ? [[purpose, consents[ownerId]]] : []), ids: new Set([ownerId]) }),
    redactOptions: { phoneRegion: 'US', pseudonymize: (text) => `h(${text})` },
  });
}

describe('the response plan (once per document and operation)', () => {
  it('finds personal values through aliases, fragments, inline fragments and nested lists, and tags their objects with the owner', () => {
    const built = plan(`
      query Screen($ids: [ID!]!) {
        first: customers(ids: $ids) { id ...Names identities { value type } }
        me { profile { ... on Profile { mail: email } } }
      }
      fragment Names on Customer { profile { firstName } createdAt }
    `);
    const keys = (at: ObjectPlan | null | undefined): unknown =>
      at && { values: at.values.map((value) => `${value.key}:${value.piiClass}`), children: Object.fromEntries(at.children.map((child) => [child.key, keys(child.plan)])) };
    expect(keys(built.walk)).toEqual({
      values: [],
      children: {
        first: { values: ['createdAt:BEHAVIORAL'], children: { profile: { values: ['firstName:CONTACT'], children: {} }, identities: { values: ['value:IDENTIFIER'], children: {} } } },
        me: { values: [], children: { profile: { values: ['mail:CONTACT'], children: {} } } },
      },
    });
    // The tag is added beside each personal value, fragments included, and nowhere else: a Customer's by its
    // resolver, a Profile's and an Identity's as their models' own ownerId.
    const text = print(built.document);
    expect(text.match(new RegExp(`${OWNER_KEY}: ${OWNER_KEY}`, 'g'))).toHaveLength(1);
    expect(text.match(new RegExp(`${OWNER_KEY}: ownerId`, 'g'))).toHaveLength(3);
    expect(text).toContain(`identities {\n      value\n      type\n      ${OWNER_KEY}: ownerId`);
  });

  it('reads the owner of a type whose models carry it (OWNER_ID_TYPES) as a plain field, and resolves the others', () => {
    const tagged = withOwnerTags(schema, walked);
    const fields = (name: string) => (tagged.getType(name) as GraphQLObjectType).getFields();
    for (const name of OWNER_ID_TYPES) {
      if (!fields(name)['ownerId']) continue; // a type with no walked value carries no tag
      expect({ name, resolve: fields(name)['ownerId']!.resolve }).toEqual({ name, resolve: undefined });
      expect(fields(name)[OWNER_KEY]).toBeUndefined();
    }
    for (const name of ['Profile', 'Identity', 'Event']) expect(fields(name)['ownerId']).toBeDefined();
    for (const name of ['Customer', 'Consent', 'LinkExplanation']) expect({ name, resolve: fields(name)[OWNER_KEY]?.resolve }).toEqual({ name, resolve: ownerTag });
    // Only in the executor's schema: the API schema has neither field.
    expect(((schema.getType('Profile') as GraphQLObjectType).getFields() as Record<string, unknown>)['ownerId']).toBeUndefined();
  });

  it('lists in OWNER_ID_TYPES only types whose models, by the codegen mappers, are Owned and nothing else', () => {
    const mappers = new Map([...readFileSync(new URL('../../codegen.yml', import.meta.url), 'utf8').matchAll(/^\s+(\w+): "\.\.\/models\.js#(\w+)"$/gm)].map((m) => [m[1]!, m[2]!]));
    const models = readFileSync(new URL('../models.ts', import.meta.url), 'utf8');
    for (const name of OWNER_ID_TYPES) {
      const model = mappers.get(name);
      expect({ name, mapped: model !== undefined }).toEqual({ name, mapped: true });
      const declared = models.match(new RegExp(`export (?:type ${model} = ([^;]+);|interface ${model} extends ([\\w, ]+) \\{)`));
      const parts = (declared?.[1] ?? declared?.[2] ?? '').split(/[&,]/).map((part) => part.trim());
      expect({ name, owned: parts.includes('Owned'), other: parts.filter((part) => /WriteOutcome|CoOwned/.test(part)) }).toEqual({ name, owned: true, other: [] });
    }
  });

  it('leaves an operation with no personal value as it is, and sends introspection to the schema whose fields decide themselves', () => {
    const none = plan('{ segments { id name } }');
    expect(none.walk).toBeNull();
    expect(buildResponsePlan(schema, walked, parse('{ __schema { queryType { name } } customer(id: "c") { profile { email } } }'), null)).toEqual({ kind: 'fallback' });
    // A client alias that would collide with the tag cannot hide a value from the walk.
    expect(buildResponsePlan(schema, walked, parse(`{ customer(id: "c") { profile { ${OWNER_KEY}: email } } }`), null)).toEqual({ kind: 'fallback' });
  });

  it('tags an object with its owner, the owners of a shared model, or a write echo', () => {
    expect(ownerTag({ ownerId: 'cus_1', email: 'x' })).toBe('cus_1');
    expect(ownerTag({ record: { id: 'cus_2' } })).toBe('cus_2');
    expect(ownerTag({ ownerIds: ['cus_1', 'cus_2'] })).toEqual(['cus_1', 'cus_2']);
    expect(ownerTag({})).toBeNull();
  });
});

describe('the response walk (per value)', () => {
  const query = '{ customers(ids: ["a", "b"]) { createdAt profile { email phone birthDate } identities { value } } }';
  const response = () => ({
    data: {
      customers: [
        {
          [OWNER_KEY]: 'a',
          createdAt: '2024-01-02T03:04:05.000Z',
          profile: { [OWNER_KEY]: 'a', email: 'ann@example.com', phone: null, birthDate: '1984-05-06' },
          identities: [{ [OWNER_KEY]: 'a', value: 'ann@example.com' }],
        },
        null,
        { [OWNER_KEY]: 'b', createdAt: '2024-02-02T00:00:00.000Z', profile: { [OWNER_KEY]: 'b', email: 'bob@example.com', phone: null, birthDate: null }, identities: [] },
      ],
    },
  });

  it('releases, masks and hashes in place, removes every tag, and records each release at its path', async () => {
    const privacy = ledger('MARKETING', { a: 'GRANTED', b: 'DENIED' });
    const result = await decideResponse(response(), plan(query).walk!, privacy);
    expect(JSON.parse(JSON.stringify(result))).toEqual({
      data: {
        customers: [
          { createdAt: '2024-01-02T03:04:05.000Z', profile: { email: 'ann@example.com', phone: null, birthDate: '1984-**-**' }, identities: [{ value: 'h(ann@example.com)' }] },
          null,
          { createdAt: null, profile: { email: null, phone: null, birthDate: null }, identities: [] },
        ],
      },
      errors: [
        expect.objectContaining({ path: ['customers', 2, 'createdAt'], extensions: expect.objectContaining({ code: 'PII_ACCESS_DENIED', reason: 'CONSENT_NOT_GRANTED' }) }),
        expect.objectContaining({ path: ['customers', 2, 'profile', 'email'], extensions: expect.objectContaining({ code: 'PII_ACCESS_DENIED', reason: 'CONSENT_NOT_GRANTED' }) }),
      ],
    });
    expect(privacy.walkPending).toBe(false);
    expect(privacy.releases.map((outcome) => [outcome.path.join('.'), outcome.decision, outcome.ownerId])).toEqual([
      ['customers.0.createdAt', 'allow', 'a'],
      ['customers.0.profile.email', 'allow', 'a'],
      ['customers.0.profile.birthDate', 'mask', 'a'],
      ['customers.0.identities.0.value', 'hash', 'a'],
    ]);
    expect(privacy.extension().fields.map((field) => `${field.path}:${field.decision}`)).toEqual([
      'customers.0.identities.0.value:hash',
      'customers.0.profile.birthDate:mask',
      'customers.2.createdAt:deny',
      'customers.2.profile.email:deny',
    ]);
  });

  it('records each release as the audit stores it, by owner, one shared frozen record per path and action for every request of the plan', async () => {
    const walk = plan(query).walk!;
    const audited = async (consents: Record<string, 'GRANTED' | 'DENIED'>) => {
      const privacy = ledger('MARKETING', consents);
      await decideResponse(response(), walk, privacy);
      return privacy.releasesByCustomer;
    };
    const first = await audited({ a: 'GRANTED', b: 'DENIED' });
    expect([...first.keys()]).toEqual(['a']);
    expect(first.get('a')).toEqual([
      { path: 'customers.0.createdAt', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null },
      { path: 'customers.0.profile.email', piiClass: 'CONTACT', decision: 'allow', reason: null },
      { path: 'customers.0.profile.birthDate', piiClass: 'DEMOGRAPHIC', decision: 'mask', reason: 'POLICY_MASKS' },
      { path: 'customers.0.identities.0.value', piiClass: 'IDENTIFIER', decision: 'hash', reason: 'POLICY_HASHES' },
    ]);
    // Another request of the same plan: the same records (nothing made per value), which no one can change.
    const second = await audited({ a: 'GRANTED', b: 'GRANTED' });
    expect(second.get('a')!.every((release, i) => release === first.get('a')![i])).toBe(true);
    expect(second.get('b')!.map((release) => release.path)).toEqual(['customers.2.createdAt', 'customers.2.profile.email']);
    expect(second.get('a')!.every((release) => Object.isFrozen(release))).toBe(true);
  });

  it('withholds every value without a purpose', async () => {
    const result = await decideResponse(response(), plan(query).walk!, ledger(null));
    expect(result.data).toEqual({
      customers: [
        { [OWNER_KEY]: undefined, createdAt: null, profile: { [OWNER_KEY]: undefined, email: null, phone: null, birthDate: null }, identities: [{ [OWNER_KEY]: undefined, value: null }] },
        null,
        { [OWNER_KEY]: undefined, createdAt: null, profile: { [OWNER_KEY]: undefined, email: null, phone: null, birthDate: null }, identities: [] },
      ],
    });
    expect(result.errors?.map((error) => error.extensions.reason)).toEqual(Array(6).fill('PURPOSE_REQUIRED'));
  });

  it('fails closed: a response it cannot walk carries no data', async () => {
    const broken = { data: { customers: [{ [OWNER_KEY]: 'a', get createdAt(): string { throw new Error('boom'); } }] } };
    const result = await decideResponse(broken, plan(query).walk!, ledger('SUPPORT'));
    expect(result).toEqual({ data: null, errors: [expect.objectContaining({ message: 'Personal data could not be decided; nothing was released.' })] });
  });
});
