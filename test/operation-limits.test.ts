import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApiKey } from '../src/auth/apiKeys.js';
import { configFrom } from '../src/config.js';
import { testDemoData } from './support/demo.js';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

/** A field `depth` levels deep, through introspection's ofType chain (the read schema itself is shallow). */
function deepQuery(depth: number): string {
  // __type (1) > fields (2) > type (3) > ofType … > name (depth)
  return `{ __type(name: "Customer") { fields { type { ${'ofType { '.repeat(depth - 4)}name${' }'.repeat(depth - 4)} } } } }`;
}
const aliases = (n: number) => `{ customer(id: "cus_demo_customer") { ${Array.from({ length: n }, (_, i) => `a${i}: id`).join(' ')} } }`;
const rootFields = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `s${i}: segments { id }`).join(' ')} }`;
/**
 * A valid document of exactly `n` tokens (n ≤ 1010): nine aliased
 * `customers(ids: [...]) { id }` root fields, each 12 tokens plus one per id,
 * inside `{ }`. (Repeating one field instead trips graphql-js's own guard
 * against overlapping fields.)
 */
function tokens(n: number): string {
  let left = n - 2 - 9 * 12;
  const fields = Array.from({ length: 9 }, (_, i) => {
    const count = Math.min(100, left);
    left -= count;
    return `a${i}: customers(ids: [${ids.slice(0, count).map((id) => `"${id}"`).join(' ')}]) { id }`;
  });
  return `{ ${fields.join(' ')} }`;
}
const directives = (n: number) => `{ segments { ${Array(n).fill('... @include(if: true) { id }').join(' ')} } }`;
const COSTLY = 'query($ids: [ID!]!, $n: Int!) { customers(ids: $ids) { id events(first: $n) { edges { node { id } } } } }';
const ids = testDemoData().customers.slice(0, 100).map((c) => c.id);
/** Enough customers for a cost over 5,000 at 50 events each, few enough to read quickly at 10. */
const costlyIds = ids.slice(0, 40);
/** Per customer: id (1) + events (1 + n × (edges 1 + node 1 + id 1)); customers adds 1 and counts its selection once per id. */
const cost = (n: number) => 1 + costlyIds.length * (1 + 1 + n * 3);

describe('operation limits (defaults) refuse a query before it reaches a source', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    // A generous source deadline: the documents at the limits read many customers on a busy machine.
    gw = await startTestGateway({ C360_API_KEY_CACHE_MS: '600000', C360_SOURCE_TIMEOUT_MS: '10000' });
    await graphql(gw.url, '{ segments { id } }'); // caches the demo key, so a refused request shows no source span at all
  });
  afterAll(() => gw?.close());

  const refused = (message: string, limit: string, max: number, extra: Record<string, number> = {}) => ({
    status: 400,
    body: { errors: [{ message, extensions: { code: 'QUERY_TOO_COMPLEX', limit, max, ...extra } }] },
  });

  const cases: Array<{ name: string; query: string; variables?: Record<string, unknown>; expected: ReturnType<typeof refused> }> = [
    { name: 'depth 11', query: deepQuery(11), expected: refused('Query depth limit of 10 exceeded, found 11.', 'depth', 10) },
    { name: '16 aliases', query: aliases(16), expected: refused('Aliases limit of 15 exceeded, found 16.', 'aliases', 15) },
    { name: '11 root fields', query: rootFields(11), expected: refused('Root field limit of 10 exceeded, found 11.', 'rootFields', 10) },
    { name: '1001 tokens', query: tokens(1001), expected: refused('Token limit of 1000 exceeded.', 'tokens', 1000) },
    { name: '21 directives', query: directives(21), expected: refused('Directives limit of 20 exceeded, found 21.', 'directives', 20) },
    {
      name: 'a cost of 40 customers × 50 events',
      query: COSTLY,
      variables: { ids: costlyIds, n: 50 },
      expected: refused(`Cost limit of 5000 exceeded, found ${cost(50)}.`, 'cost', 5000, { cost: cost(50) }),
    },
  ];

  for (const { name, query, variables, expected } of cases) {
    it(`refuses ${name} with QUERY_TOO_COMPLEX naming the limit, and calls no source`, async () => {
      gw.spans.reset();
      const response = await graphql(gw.url, query, { variables });
      expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual(expected);
      expect(gw.spans.getFinishedSpans().filter((span) => span.name.startsWith('c360.source.'))).toEqual([]);
    });
  }

  const atLimit: Array<[string, string, Record<string, unknown>?]> = [
    ['depth 10', deepQuery(10)],
    ['15 aliases', aliases(15)],
    ['10 root fields', rootFields(10)],
    ['1000 tokens', tokens(1000)],
    ['20 directives', directives(20)],
    // The cost depends on the variables: the same document with first: 10.
    [`the same costly document at a cost of ${cost(10)}`, COSTLY, { ids: costlyIds, n: 10 }],
  ];
  for (const [name, query, variables] of atLimit) {
    it(`answers ${name}`, async () => {
      const response = await graphql(gw.url, query, { variables, purpose: 'support' });
      expect({ status: response.status, errors: response.body.errors?.slice(0, 2) }).toEqual({ status: 200, errors: undefined });
    });
  }

  it('weighs a document again after a request whose variables did not coerce (no variable of it weighs)', async () => {
    // The cost is in the literals: 40 customers × 50 events; $id weighs nothing.
    const query = `query($id: ID!) { one: customer(id: $id) { id } many: customers(ids: [${costlyIds.map((id) => `"${id}"`).join(' ')}]) { id events(first: 50) { edges { node { id } } } } }`;
    const overCost = cost(50) + 2;
    const badVariables = await graphql(gw.url, query, { variables: { id: { not: 'an id' } }, purpose: 'support' });
    expect(badVariables.status).toBe(400);
    gw.spans.reset();
    for (let attempt = 0; attempt < 2; attempt++) {
      const response = await graphql(gw.url, query, { variables: { id: 'cus_demo_customer' }, purpose: 'support' });
      expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual(
        refused(`Cost limit of 5000 exceeded, found ${overCost}.`, 'cost', 5000, { cost: overCost }),
      );
    }
    expect(gw.spans.getFinishedSpans().filter((span) => span.name.startsWith('c360.source.'))).toEqual([]);
  });
});

describe('operation limits come from the configuration', () => {
  it('reads C360_MAX_* and keeps the documented defaults', () => {
    expect(configFrom({}).hardening.limits).toEqual({ depth: 10, aliases: 15, rootFields: 10, tokens: 1000, directives: 20, cost: 5000 });
    const set = configFrom({ C360_MAX_DEPTH: '4', C360_MAX_ALIASES: '2', C360_MAX_ROOT_FIELDS: '1', C360_MAX_TOKENS: '50', C360_MAX_DIRECTIVES: '0', C360_MAX_COST: '10' });
    expect(set.hardening.limits).toEqual({ depth: 4, aliases: 2, rootFields: 1, tokens: 50, directives: 0, cost: 10 });
  });

  it('applies a changed limit over HTTP', async () => {
    const gw = await startTestGateway({ C360_MAX_DEPTH: '3' });
    try {
      const response = await graphql(gw.url, '{ customer(id: "cus_demo_customer") { crm { openCases { id } } } }');
      expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual({
        status: 400,
        body: { errors: [{ message: 'Query depth limit of 3 exceeded, found 4.', extensions: { code: 'QUERY_TOO_COMPLEX', limit: 'depth', max: 3 } }] },
      });
    } finally {
      await gw.close();
    }
  });
});

describe('introspection and field suggestions outside demo mode', () => {
  let gw: TestGateway;
  let withSchemaRead: string;
  let withoutSchemaRead: string;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_DEMO: 'false' });
    const store = gw.gateway.services.sources.singleView;
    const reader = mintApiKey({ clientName: 'Schema tooling', scopes: ['schema:read', 'segments:read'], purposes: [] });
    const partner = mintApiKey({ clientName: 'Partner', scopes: ['segments:read'], purposes: [] });
    await store.putApiKey(reader.record);
    await store.putApiKey(partner.record);
    withSchemaRead = reader.key;
    withoutSchemaRead = partner.key;
  });
  afterAll(() => gw?.close());

  const INTROSPECTION = '{ __schema { queryType { name } } }';

  it('refuses introspection to a key without schema:read (403 FORBIDDEN), but not __typename', async () => {
    const refused = await graphql(gw.url, INTROSPECTION, { apiKey: withoutSchemaRead });
    expect({ status: refused.status, body: withoutTraceId(refused.body) }).toEqual({
      status: 403,
      body: { errors: [{ message: 'Introspection needs the scope schema:read.', extensions: { code: 'FORBIDDEN', scope: 'schema:read' } }] },
    });
    const typeLookup = await graphql(gw.url, '{ __type(name: "Customer") { name } }', { apiKey: withoutSchemaRead });
    expect(typeLookup.status).toBe(403);
    const typename = await graphql(gw.url, '{ __typename segments { id } }', { apiKey: withoutSchemaRead });
    expect(withoutTraceId(typename.body)).toEqual({ data: { __typename: 'Query', segments: expect.any(Array) } });
  });

  it('answers introspection to a key with schema:read', async () => {
    const response = await graphql(gw.url, INTROSPECTION, { apiKey: withSchemaRead });
    expect(withoutTraceId(response.body)).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('decides per principal, whichever asks with a document first', async () => {
    const document = '{ __schema { mutationType { name } } }';
    const answered = await graphql(gw.url, document, { apiKey: withSchemaRead });
    expect(withoutTraceId(answered.body)).toEqual({ data: { __schema: { mutationType: { name: 'Mutation' } } } });
    const refused = await graphql(gw.url, document, { apiKey: withoutSchemaRead });
    expect(refused.status).toBe(403);
    const again = await graphql(gw.url, document, { apiKey: withSchemaRead });
    expect(again.status).toBe(200);
  });

  it('gives no "Did you mean" suggestions', async () => {
    const response = await graphql(gw.url, '{ segments { nme } }', { apiKey: withSchemaRead });
    expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual({
      status: 400,
      body: {
        errors: [{ message: 'Cannot query field "nme" on type "Segment".', locations: [{ line: 1, column: 14 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }],
      },
    });
  });
});

describe('introspection and field suggestions in embedded demo mode', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw?.close());

  it('lets any demo key introspect (the marketing key has no schema:read)', async () => {
    const response = await graphql(gw.url, '{ __schema { queryType { name } } }', { apiKey: 'c360_demo_marketing' });
    expect(withoutTraceId(response.body)).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('keeps "Did you mean" suggestions', async () => {
    const response = await graphql(gw.url, '{ segments { nme } }');
    expect(withoutTraceId(response.body).errors?.[0]?.message).toBe('Cannot query field "nme" on type "Segment". Did you mean "name"?');
  });
});
