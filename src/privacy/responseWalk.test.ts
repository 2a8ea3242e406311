import { readFileSync } from 'node:fs';
import { parse, print } from 'graphql';
import type { GraphQLObjectType } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildBaseSchema } from '../graphql/schema.js';
import { classifySchema } from './classification.js';
import { PrivacyLedger, auditShapeOf } from './ledger.js';
import type { PathNode } from './ledger.js';
import { loadPolicy } from './policy.js';
import type { Purpose } from '../domain/index.js';
import { OWNER_ID_TYPES } from '../models.js';
import { OWNER_KEY, buildResponsePlan, ownerTag, walkedFieldsOf, withOwnerTags } from './responsePlan.js';
import type { ObjectPlan } from './responsePlan.js';
import { MAX_SHAPES_PER_PLAN, decideResponse } from './responseWalk.js';

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

describe('a response released by its shape (a purpose that releases every class of the plan as is)', () => {
  const query = '{ customer(id: "a") { createdAt profile { email phone } identities { value } events(first: 5) { edges { node { type } } } } }';
  type Shape = { phone?: string | null; identities?: number; email?: string | null; owner?: string };
  const response = ({ phone = null, identities = 1, email = 'ann@example.com', owner = 'a' }: Shape = {}) => ({
    data: {
      customer: {
        [OWNER_KEY]: owner,
        createdAt: '2024-01-02T03:04:05.000Z',
        profile: { [OWNER_KEY]: owner, email, phone },
        identities: Array.from({ length: identities }, (_, i) => ({ [OWNER_KEY]: owner, value: `id-${i}` })),
        events: { edges: [{ node: { [OWNER_KEY]: owner, type: 'page_view' } }] },
      },
    },
  });
  const eventsNode: PathNode = { prev: { prev: { prev: { prev: { prev: undefined, key: 'customer' }, key: 'events' }, key: 'edges' }, key: 0 }, key: 'node' };
  const loyaltyNode: PathNode = { prev: { prev: undefined, key: 'customer' }, key: 'loyalty' };

  /** A request of the plan: the parts and event properties its resolvers would have recorded, then the walk. */
  async function read(walk: ObjectPlan, shape: Shape, properties: readonly string[] = []) {
    const privacy = ledger('SUPPORT');
    privacy.useShape(auditShapeOf(walk));
    privacy.recordAt(loyaltyNode, 'FINANCIAL', { action: 'allow' }, shape.owner ?? 'a');
    for (const name of properties) privacy.recordInside(eventsNode, name, 'BEHAVIORAL', 'allow', shape.owner ?? 'a');
    const result = await decideResponse(response(shape), walk, privacy);
    return { data: JSON.parse(JSON.stringify(result.data)) as unknown, errors: result.errors, lists: privacy.releasesByCustomer, count: privacy.releaseCount, privacy };
  }

  /** The same request on a plan of its own, which has kept nothing: what the walk alone records. */
  async function walkedAlone(shape: Shape, properties: readonly string[] = []) {
    return read(plan(query).walk!, shape, properties);
  }

  const paths = (lists: ReadonlyMap<string | undefined, readonly { path: string }[]>) => Object.fromEntries([...lists].map(([owner, list]) => [owner ?? '-', list.map((release) => release.path)]));
  const releasedWhole = () => vi.spyOn(PrivacyLedger.prototype, 'releaseAll');
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('answers and records what the walk alone would, for every shape in turn, and takes every owner tag out', async () => {
    const walk = plan(query).walk!;
    const shapes: Array<[Shape, string[]]> = [
      [{}, []],
      [{}, []], // the same shape again: its kept list
      [{}, []],
      [{ phone: '+12015550100' }, []], // a value that was null is not
      [{ identities: 3 }, []], // a longer list
      [{ identities: 0, email: null }, []],
      [{}, ['plan']], // what the resolvers recorded differs: an event property
      [{}, ['plan']],
      [{}, ['plan']],
      [{}, ['coupon']], // as many releases before the walk, but others
      [{}, []],
      [{ owner: 'b' }, []], // another customer, the same shape
    ];
    const whole: boolean[] = [];
    for (const [shape, properties] of shapes) {
      const spy = releasedWhole();
      const kept = await read(walk, shape, properties);
      whole.push(spy.mock.calls.length > 0);
      spy.mockRestore();
      const alone = await walkedAlone(shape, properties);
      expect({ shape, properties, data: kept.data, errors: kept.errors, paths: paths(kept.lists), count: kept.count }).toEqual({
        shape,
        properties,
        data: alone.data,
        errors: undefined,
        paths: paths(alone.lists),
        count: alone.count,
      });
      expect(JSON.stringify(kept.data)).not.toContain(OWNER_KEY);
      expect([...kept.lists.values()].every((list) => Object.isFrozen(list))).toBe(true);
    }
    // Kept lists were taken whole only for a shape seen before, after the same releases: the second and
    // third read of a shape; never when the resolvers' releases differed from the plan's, however many.
    expect(whole).toEqual([false, false, true, false, false, false, false, false, true, false, false, false]);
    const spy = releasedWhole();
    const last = await read(walk, {}, []);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(paths(last.lists)).toEqual({
      a: ['customer.loyalty', 'customer.createdAt', 'customer.profile.email', 'customer.identities.0.value', 'customer.events.edges.0.node.type'],
    });
  });

  it('walks a response about several customers, a purpose that masks or asks for consent, and one whose releases before the walk already differ from the plan', async () => {
    const walk = plan('{ customers(ids: ["a", "b"]) { createdAt profile { email } } }').walk!;
    const both = () => ({
      data: {
        customers: [
          { [OWNER_KEY]: 'a', createdAt: '2024-01-02T03:04:05.000Z', profile: { [OWNER_KEY]: 'a', email: 'ann@example.com' } },
          { [OWNER_KEY]: 'b', createdAt: '2024-02-02T00:00:00.000Z', profile: { [OWNER_KEY]: 'b', email: 'bob@example.com' } },
        ],
      },
    });
    const spy = releasedWhole();
    for (let i = 0; i < 3; i++) {
      const privacy = ledger('SUPPORT');
      privacy.useShape(auditShapeOf(walk));
      await decideResponse(both(), walk, privacy);
      expect(paths(privacy.releasesByCustomer)).toEqual({ a: ['customers.0.createdAt', 'customers.0.profile.email'], b: ['customers.1.createdAt', 'customers.1.profile.email'] });
    }
    // Marketing masks and hashes, and rests on consent: decided value by value, each request as it comes.
    const single = plan(query).walk!;
    for (let i = 0; i < 3; i++) {
      const privacy = ledger('MARKETING', { a: i === 1 ? 'DENIED' : 'GRANTED' });
      privacy.useShape(auditShapeOf(single));
      const result = await decideResponse(response({ identities: 1 }), single, privacy);
      const releases = [...(privacy.releasesByCustomer.get('a') ?? [])].map((release) => `${release.path}:${release.decision}`);
      expect({ i, releases, withheld: result.errors?.length ?? 0 }).toEqual(
        i === 1
          ? { i, releases: [], withheld: 4 }
          : { i, releases: ['customer.createdAt:allow', 'customer.profile.email:allow', 'customer.identities.0.value:hash', 'customer.events.edges.0.node.type:allow'], withheld: 0 },
      );
    }
    // An object owned by no one the walk knows (no tag): decided as an unknown customer, by the walk.
    for (let i = 0; i < 2; i++) {
      const untagged = response();
      delete (untagged.data.customer.profile as Record<string, unknown>)[OWNER_KEY];
      const privacy = ledger('SUPPORT');
      privacy.useShape(auditShapeOf(single));
      await decideResponse(untagged, single, privacy);
      expect(paths(privacy.releasesByCustomer)).toEqual({
        a: ['customer.createdAt', 'customer.identities.0.value', 'customer.events.edges.0.node.type'],
        '-': ['customer.profile.email'],
      });
    }
    expect(spy).not.toHaveBeenCalled();
  });

  it('tells shapes apart by their marks, not by their hash alone', async () => {
    // Every shape's hash the same (its last mark): only the marks themselves can tell the kept lists apart.
    vi.spyOn(Math, 'imul').mockReturnValue(0);
    const walk = plan(query).walk!;
    const shapes: Shape[] = [{}, {}, { phone: '+12015550100' }, { phone: '+12015550100' }, { email: null }, {}, { identities: 2 }, { email: null }];
    for (const shape of shapes) {
      const [kept, alone] = [await read(walk, shape), await walkedAlone(shape)];
      expect({ shape, paths: paths(kept.lists) }).toEqual({ shape, paths: paths(alone.lists) });
    }
  });

  it('keeps a bounded number of shapes per plan, and walks the others', async () => {
    const walk = plan(query).walk!;
    for (let identities = 0; identities < MAX_SHAPES_PER_PLAN + 5; identities++) {
      const [kept, alone] = [await read(walk, { identities }), await walkedAlone({ identities })];
      expect(paths(kept.lists)).toEqual(paths(alone.lists));
    }
    // Every one again: the kept ones by their lists, the rest by the walk, all the same.
    for (let identities = 0; identities < MAX_SHAPES_PER_PLAN + 5; identities++) {
      const [kept, alone] = [await read(walk, { identities }), await walkedAlone({ identities })];
      expect(paths(kept.lists)).toEqual(paths(alone.lists));
    }
  });
});
