import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, loadCodegenConfig } from '@graphql-codegen/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { marketingBatch, myAccount } from '../clients/typescript/examples/readme.js';
import { C360_ERROR_CODES, CustomerCardDocument, MeDocument, PartnerCustomersDocument, SegmentsDocument, createC360Client, documentHash, documentText } from '../clients/typescript/src/index.js';
import { buildManifest } from '../scripts/trustedDocuments.js';
import { mintApiKey } from '../src/auth/apiKeys.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { APOLLO_REQUEST_CODES, ErrorCode } from '../src/errors.js';
import { DEFAULT_TRUSTED_DOCUMENTS_FILE, loadTrustedDocuments } from '../src/hardening/trustedDocuments.js';
import { demoCustomer } from './support/demo.js';
import { startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { ROOT } from './support/process.js';
import { TEST_JWT_SECRET, loginOf, signToken } from './support/tokens.js';

/**
 * clients/typescript: generated from the operation files, which are also the
 * gateway's trusted documents; run against a real gateway over HTTP.
 */
const OWN = DEMO_CUSTOMERS.consent.id;
const OTHER = DEMO_CUSTOMERS.noConsent.id;
const TRACE_ID = expect.stringMatching(/^[0-9a-f]{32}$/);

/** fetch, recording each request body the client sent. */
function recordingFetch() {
  const bodies: Array<Record<string, unknown>> = [];
  const record: typeof fetch = async (input, init) => {
    bodies.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
    return fetch(input, init);
  };
  return { fetch: record, bodies };
}

/** The gateway's answer to a document's text sent by hand, to compare the client's with. */
async function byHand(url: string, document: string, headers: Record<string, string>, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: document, variables }) });
  const body = withoutTraceId((await response.json()) as { data?: unknown; errors?: unknown[]; extensions?: Record<string, unknown> });
  return { status: response.status, data: body.data ?? null, errors: body.errors ?? [], extensions: body.extensions ?? {} };
}

const persisted = JSON.parse(readFileSync(join(ROOT, 'clients/typescript/src/generated/persisted-documents.json'), 'utf8')) as Record<string, string>;
const textOf = (document: object) => documentText(document)!;
const hashOf = (document: object) => documentHash(document)!;

describe('the generated client', () => {
  it('is current with the operation files and schema.graphql (run `npm run trusted-documents` when this fails)', { timeout: 60_000 }, async () => {
    const { config } = await loadCodegenConfig({ configFilePath: join(ROOT, 'clients/typescript/codegen.yml') });
    const outputs = (await generate({ ...config, cwd: ROOT, silent: true }, false)) as Array<{ filename: string; content: string }>;
    expect(outputs.map((output) => output.filename).sort()).toEqual(
      ['gql.ts', 'graphql.ts', 'index.ts', 'persisted-documents.json'].map((file) => `clients/typescript/src/generated/${file}`),
    );
    for (const output of outputs) expect(readFileSync(join(ROOT, output.filename), 'utf8'), `${output.filename} is stale`).toBe(output.content);
  });

  it('is the one source of the trusted-documents manifest the gateway loads: every operation, by the hash the client sends', () => {
    const manifest = loadTrustedDocuments(DEFAULT_TRUSTED_DOCUMENTS_FILE);
    expect(Object.fromEntries(manifest)).toEqual(buildManifest().manifest);
    const documents = [MeDocument, CustomerCardDocument, PartnerCustomersDocument, SegmentsDocument];
    for (const document of documents) expect(manifest.get(hashOf(document))).toBe(textOf(document));
    expect(manifest.size).toBe(Object.keys(persisted).length);
  });

  it('types every error code the gateway answers with', () => {
    expect([...C360_ERROR_CODES].sort()).toEqual([...Object.values(ErrorCode), ...APOLLO_REQUEST_CODES].sort());
  });

  it('types variables and results from the operations', () => {
    const client = createC360Client({ url: 'http://127.0.0.1:1/graphql', apiKey: 'k' });
    const typed = async () => {
      // @ts-expect-error the batch needs its ids
      await client.request(PartnerCustomersDocument, {});
      // @ts-expect-error ids are a list of ids, not a number
      await client.request(PartnerCustomersDocument, { ids: [{}] });
      const me = await client.request(MeDocument);
      // @ts-expect-error Customer has no such field
      void me.data?.me?.password;
      // @ts-expect-error the code is one of the gateway's
      void (me.errors[0]?.extensions.code === 'NOT_A_CODE');
    };
    expect(typeof typed).toBe('function');
    expect(() => createC360Client({ url: 'http://127.0.0.1:1/graphql' })).toThrow('createC360Client: give exactly one of apiKey and token');
  });
});

describe('the client against a real gateway', () => {
  let gw: TestGateway;
  let graphqlUrl: string;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_JWT_SECRET: TEST_JWT_SECRET, C360_RATE_LIMIT_PER_MINUTE: '0' });
    graphqlUrl = `${gw.url}/graphql`;
  });
  afterAll(() => gw?.close());

  it('reads me with a customer token set once, sending the trusted document by hash alone', async () => {
    const recorder = recordingFetch();
    const token = await signToken({ sub: loginOf(OWN), role: 'customer' });
    const web = createC360Client({ url: graphqlUrl, token: async () => token, purpose: 'self_service', fetch: recorder.fetch });
    const result = await web.request(MeDocument);
    const expected = await byHand(gw.url, textOf(MeDocument), { authorization: `Bearer ${token}`, 'x-c360-purpose': 'self_service' });
    expect({ ...result, extensions: withoutTraceId(result).extensions ?? {} }).toEqual(expected);
    expect(result).toMatchObject({ status: 200, errors: [], extensions: { traceId: TRACE_ID, privacy: { purpose: 'SELF_SERVICE', fields: [] } } });
    expect(result.data?.me?.id).toBe(OWN);
    expect(result.data?.me?.profile?.email).toBe(DEMO_CUSTOMERS.consent.email);
    expect(recorder.bodies).toEqual([{ variables: {}, extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(MeDocument) } } }]);
  });

  it('keeps partial data in a partner batch: personal fields withheld for want of consent are null, each with its typed error', async () => {
    const partner = createC360Client({ url: graphqlUrl, apiKey: 'c360_demo_marketing', purpose: 'marketing' });
    const ids = [OWN, OTHER, 'cus_no_such_customer'];
    const result = await partner.request(PartnerCustomersDocument, { ids });
    const expected = await byHand(gw.url, textOf(PartnerCustomersDocument), { 'x-api-key': 'c360_demo_marketing', 'x-c360-purpose': 'marketing' }, { ids });
    expect({ ...result, extensions: withoutTraceId(result).extensions ?? {} }).toEqual(expected);
    expect(result.status).toBe(200);
    expect(result.data?.customers.map((customer) => customer?.id ?? null)).toEqual([OWN, OTHER, null]);
    expect(result.data?.customers[0]?.profile).toEqual({ firstName: demoCustomer(OWN).customer.profile.firstName, email: DEMO_CUSTOMERS.consent.email });
    expect(result.data?.customers[1]?.profile).toEqual({ firstName: null, email: null });
    const withheld = result.errors.filter((error) => error.extensions.code === 'PII_ACCESS_DENIED');
    expect(withheld.map((error) => [error.path, error.extensions.reason]).sort()).toEqual([
      [['customers', 1, 'profile', 'email'], 'CONSENT_NOT_GRANTED'],
      [['customers', 1, 'profile', 'firstName'], 'CONSENT_NOT_GRANTED'],
      [['customers', 1, 'segments'], 'CONSENT_NOT_GRANTED'],
    ]);
    expect(result.data?.customers[1]?.segments).toBeNull();
  });

  it('runs the README examples as printed', async () => {
    const token = await signToken({ sub: loginOf(OWN), role: 'customer' });
    const account = await myAccount(graphqlUrl, async () => token);
    const own = demoCustomer(OWN);
    const newest = [...own.events].sort((a, b) => Date.parse(b.occurredAt) - Date.parse(a.occurredAt) || (b.id < a.id ? -1 : 1))[0];
    expect(account).toEqual({ firstName: own.customer.profile.firstName, tier: own.loyalty?.tier ?? null, latestEvent: newest?.type ?? null });
    const batch = await marketingBatch(graphqlUrl, 'c360_demo_marketing', [OWN, OTHER]);
    expect(batch.customers.map((customer) => customer?.profile ?? null)).toEqual([
      { firstName: own.customer.profile.firstName, email: DEMO_CUSTOMERS.consent.email },
      { firstName: null, email: null },
    ]);
    expect(batch.withheld.sort()).toEqual(['customers.1.profile.email', 'customers.1.profile.firstName', 'customers.1.segments']);
    // The README shows this file, importing from the package by name.
    const example = readFileSync(join(ROOT, 'clients/typescript/examples/readme.ts'), 'utf8').replace("from '../src/index.js'", "from '@c360/client'");
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('answers a refused request with its code and status, data null', async () => {
    const stranger = createC360Client({ url: graphqlUrl, apiKey: 'c360_not_a_key', purpose: 'support' });
    const result = await stranger.request(CustomerCardDocument, { id: OWN });
    expect(result).toEqual({ status: 401, data: null, errors: [{ message: 'Invalid API key: unknown API key.', extensions: { code: 'UNAUTHENTICATED' } }], extensions: {} });
  });

  it('runs for a key limited to trusted documents, since it sends the hash', async () => {
    const minted = mintApiKey({ clientName: 'Kiosk', scopes: ['customer:read', 'segments:read'], purposes: [], trustedDocumentsOnly: true });
    await gw.gateway.services.sources.singleView.putApiKey(minted.record);
    const kiosk = createC360Client({ url: graphqlUrl, apiKey: minted.key });
    const result = await kiosk.request(SegmentsDocument);
    expect(result.status).toBe(200);
    expect(result.errors).toEqual([]);
    expect(result.data?.segments.length).toBeGreaterThan(0);
  });
});

describe('the client against a gateway that does not know its documents', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    const empty = join(tmpdir(), `c360-empty-manifest-${process.pid}.json`);
    writeFileSync(empty, '{}\n');
    gw = await startTestGateway({ C360_TRUSTED_DOCUMENTS_FILE: empty });
  });
  afterAll(() => gw?.close());

  it('sends the text after PERSISTED_QUERY_NOT_FOUND, and gets the answer', async () => {
    const recorder = recordingFetch();
    const agent = createC360Client({ url: `${gw.url}/graphql`, apiKey: 'c360_demo_support', purpose: 'support', fetch: recorder.fetch });
    const result = await agent.request(CustomerCardDocument, { id: OWN });
    expect(result).toMatchObject({ status: 200, errors: [], data: { customer: { id: OWN } } });
    const hash = hashOf(CustomerCardDocument);
    expect(recorder.bodies).toEqual([
      { variables: { id: OWN }, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } },
      { variables: { id: OWN }, query: textOf(CustomerCardDocument), extensions: { persistedQuery: { version: 1, sha256Hash: hash } } },
    ]);
  });
});
