import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApiKey } from '../src/auth/apiKeys.js';
import { startDynaliteProcess } from './support/dynaliteProcess.js';
import type { DynaliteProcess } from './support/dynaliteProcess.js';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import type { GraphQLResponse, TestGateway } from './support/gateway.js';

const QUERY = '{ segments { id } }';

/** The whole 429 answer, with the Retry-After the gateway computed: the seconds left in the principal's minute window. */
function expectRateLimited(response: GraphQLResponse, perMinute: number): void {
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect({ status: response.status, body: withoutTraceId(response.body) }).toEqual({
    status: 429,
    body: {
      errors: [
        {
          message: `Rate limit of ${perMinute} requests per minute exceeded; retry after ${retryAfter} s.`,
          extensions: { code: 'RATE_LIMITED', retryAfter },
        },
      ],
    },
  });
}

describe('rate limits per principal (in process)', () => {
  let gw: TestGateway;
  let limitedKey: string;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_RATE_LIMIT_PER_MINUTE: '2' });
    const minted = mintApiKey({ clientName: 'Partner with its own limit', scopes: ['segments:read', 'customer:read'], purposes: [], rateLimitPerMinute: 3 });
    await gw.gateway.services.sources.singleView.putApiKey(minted.record);
    limitedKey = minted.key;
  });
  afterAll(() => gw?.close());

  it('applies a key’s own limit: a burst of 3, then 429 with Retry-After before anything runs', async () => {
    for (let i = 0; i < 3; i++) expect((await graphql(gw.url, QUERY, { apiKey: limitedKey })).status).toBe(200);
    gw.spans.reset();
    const refused = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { id } }', { apiKey: limitedKey, variables: { id: 'cus_demo_customer' } });
    expectRateLimited(refused, 3);
    const calls = gw.spans.getFinishedSpans().filter((span) => span.name.startsWith('c360.source.') && span.attributes['c360.source.operation'] !== 'getApiKey');
    expect(calls).toEqual([]);
  });

  it('applies the configured default to keys without their own, each principal on its own bucket', async () => {
    for (const key of ['c360_demo_support', 'c360_demo_marketing']) {
      expect((await graphql(gw.url, QUERY, { apiKey: key })).status).toBe(200);
      expect((await graphql(gw.url, QUERY, { apiKey: key })).status).toBe(200);
      expectRateLimited(await graphql(gw.url, QUERY, { apiKey: key }), 2);
    }
  });
});

describe('rate limits shared by two gateway instances on one DynamoDB (dynalite)', () => {
  let dynamo: DynaliteProcess;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    dynamo = await startDynaliteProcess();
    const env = {
      C360_DYNAMODB_ENDPOINT: dynamo.endpoint,
      C360_DYNAMODB_TABLE_PREFIX: 'shared_',
      C360_RATE_LIMIT_STORE: 'dynamodb',
      // Each instance checks the bucket in DynamoDB; allow for a busy machine.
      C360_SOURCE_TIMEOUT_MS: '3000',
    };
    a = await startTestGateway(env);
    b = await startTestGateway(env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await dynamo?.close();
  });

  async function mint(perMinute: number): Promise<string> {
    const minted = mintApiKey({ clientName: `Partner ${perMinute}/min`, scopes: ['segments:read'], purposes: [], rateLimitPerMinute: perMinute });
    await a.gateway.services.sources.singleView.putApiKey(minted.record);
    return minted.key;
  }

  it('spends one budget across both instances', async () => {
    const key = await mint(4);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await graphql(i % 2 === 0 ? a.url : b.url, QUERY, { apiKey: key })).status);
    // In-process buckets would have let each instance answer 4.
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429, 429, 429]);
    expectRateLimited(await graphql(b.url, QUERY, { apiKey: key }), 4);
  });

  it('admits exactly the budget from concurrent requests to both instances (conditional writes)', async () => {
    const key = await mint(5);
    const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => graphql(i % 2 === 0 ? a.url : b.url, QUERY, { apiKey: key })));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429, 429, 429, 429, 429]);
  });
});
