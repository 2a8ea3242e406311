import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintApiKey } from '../src/auth/apiKeys.js';
import { suggestionId } from '../src/identity/suggestions.js';
import { AuditFaults } from './support/faultyAudit.js';
import { graphql, startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { byPath, sorted } from './support/privacy.js';
import { ADMIN_KEY, identify, setConsent } from './support/writes.js';

/**
 * Merge suggestions under scope, purpose, consent and audit
 * (docs/privacy.md, "Classifying fields" and "Audit"; docs/security.md,
 * "Scopes"). A suggestion is about two customers: its evidence is decided
 * for each of them and audited on each one's trail, its customers are
 * customers (customer:read, each on its own consent), and what describes the
 * suggestion itself needs identity:read.
 *
 * Each test makes its own pending merge and decides it before the next, so
 * the list of OPEN suggestions holds exactly one when a test reads it.
 */
const TRACE_ID = expect.stringMatching(/^[0-9a-f]{32}$/);
const EVIDENCE = [{ attribute: 'EMAIL', level: 'exact_unverified' }];
const LIST = /* GraphQL */ `
  query Pending {
    mergeSuggestions {
      edges { node { id status origin probability customerIds evidence { attribute level } customers { id createdAt profile { firstName } } } }
    }
  }
`;

let gw: TestGateway;
/** Audit writes fail only while a test sets `down`. */
const faults = new AuditFaults();
/** identity:read and identity:write, but not customer:read. */
let operatorKey: string;
/** identity:write only: decides suggestions, reads nothing. */
let writerKey: string;

async function storedKey(scopes: string[], purposes: string[]): Promise<string> {
  const minted = mintApiKey({ clientName: `Suggestions ${scopes.join(' ')}`, scopes, purposes } as Parameters<typeof mintApiKey>[0]);
  await gw.gateway.services.sources.singleView.putApiKey(minted.record);
  return minted.key;
}

beforeAll(async () => {
  // The breaker stays closed under the audit writes the fail-closed test makes fail.
  gw = await startTestGateway(
    { C360_SOURCE_TIMEOUT_MS: '5000', C360_DEMO_CUSTOMERS: '20', C360_RATE_LIMIT_PER_MINUTE: '0', C360_BREAKER_THRESHOLD: '1000' },
    { decorateSources: faults.decorate },
  );
  operatorKey = await storedKey(['identity:read', 'identity:write'], ['SUPPORT', 'MARKETING']);
  writerKey = await storedKey(['identity:write'], ['SUPPORT']);
});
afterAll(() => gw?.close());

interface Pair {
  readonly id: string;
  /** Holds the login: the survivor of an accepted merge (USER_ID outranks EMAIL). */
  readonly login: string;
  /** Holds the e-mail an ingest key joined to the login unverified. */
  readonly contact: string;
}

/** Two known people and the merge identify refused between them (UNVERIFIED_MERGE), kept as a suggestion. */
async function pendingPair(tag: string): Promise<Pair> {
  const contact = (await identify(gw.url, [{ type: 'EMAIL', value: `${tag}@example.org` }], { firstName: 'Robin' })).customer.id;
  const login = (await identify(gw.url, [{ type: 'USER_ID', value: `${tag}-login` }], { firstName: 'Sam' })).customer.id;
  const refused = await identify(gw.url, [
    { type: 'USER_ID', value: `${tag}-login` },
    { type: 'EMAIL', value: `${tag}@example.org` },
  ]);
  expect(refused.rejectedLinks.map((link) => link.reason)).toEqual(['UNVERIFIED_MERGE']);
  return { id: suggestionId([login, contact]), login, contact };
}

const grantMarketing = (customerId: string) => setConsent(gw.url, { customerId, purpose: 'MARKETING', status: 'GRANTED', source: 'suggestion-test' });

async function reject(id: string): Promise<void> {
  const response = await graphql(gw.url, 'mutation($id: ID!) { rejectMergeSuggestion(id: $id, reason: "test done") { id } }', { apiKey: ADMIN_KEY, variables: { id } });
  expect(response.body.errors).toBeUndefined();
}

type TrailRecord = { traceId: string; operation: string; customerIds: string[]; fields: Array<{ path: string; piiClass: string; decision: string }> };

/** The records of one request on a customer's trail. */
async function recordsOf(customerId: string, traceId: string): Promise<Array<Omit<TrailRecord, 'traceId'>>> {
  const response = await graphql<{ auditTrail: { edges: Array<{ node: TrailRecord }> } }>(
    gw.url,
    'query($c: ID!) { auditTrail(customerId: $c, first: 100) { edges { node { traceId operation customerIds fields { path piiClass decision } } } } }',
    { apiKey: ADMIN_KEY, variables: { c: customerId } },
  );
  return response.body
    .data!.auditTrail.edges.map((edge) => edge.node)
    .filter((node) => node.traceId === traceId)
    .map(({ traceId: _traceId, ...record }) => record);
}

const forbidden = (path: Array<string | number>, scope: string) => ({
  message: `${path.at(-1)} needs the scope ${scope}.`,
  locations: expect.any(Array),
  path,
  extensions: { code: 'FORBIDDEN', scope },
});

function withheld(path: Array<string | number>, piiClass: string, reason: string) {
  return {
    error: { message: expect.any(String), locations: expect.any(Array), path, extensions: { code: 'PII_ACCESS_DENIED', reason, piiClass } },
    field: { path: path.join('.'), piiClass, decision: 'deny', reason },
  };
}

describe('scopes', () => {
  it('a key without identity:read cannot list suggestions', async () => {
    const pair = await pendingPair('scope-list');
    const response = await graphql(gw.url, LIST, { apiKey: 'c360_demo_marketing', purpose: 'marketing' });
    expect({ status: response.status, body: response.body }).toEqual({
      status: 403,
      body: { errors: [forbidden(['mergeSuggestions'], 'identity:read')], data: null, extensions: { traceId: TRACE_ID } },
    });
    await reject(pair.id);
  });

  it('a key without customer:read gets the suggestion and FORBIDDEN on its customers, at their path', async () => {
    const pair = await pendingPair('scope-customers');
    const response = await graphql(gw.url, LIST, { apiKey: operatorKey, purpose: 'support' });
    const at = ['mergeSuggestions', 'edges', 0, 'node'];
    expect(sorted(response.body)).toEqual({
      errors: [forbidden([...at, 'customers'], 'customer:read')],
      data: {
        mergeSuggestions: {
          edges: [
            {
              node: {
                id: pair.id,
                status: 'OPEN',
                origin: 'UNVERIFIED_MERGE',
                probability: 1,
                customerIds: [pair.login, pair.contact].sort(),
                evidence: EVIDENCE,
                customers: null,
              },
            },
          ],
        },
      },
      extensions: { traceId: TRACE_ID, privacy: { purpose: 'SUPPORT', fields: [] } },
    });
    await reject(pair.id);
  });

  it("a key without customer:read accepts, and gets the outcome with FORBIDDEN on the customers in the result", async () => {
    const pair = await pendingPair('scope-accept');
    const response = await graphql(
      gw.url,
      `mutation($id: ID!) { acceptMergeSuggestion(id: $id) {
        suggestion { id status customerIds customers { id profile { firstName } } }
        customer { id profile { firstName } identities { type } }
        merged } }`,
      { apiKey: operatorKey, purpose: 'support', variables: { id: pair.id } },
    );
    expect(sorted(response.body)).toEqual({
      errors: byPath([
        forbidden(['acceptMergeSuggestion', 'suggestion', 'customers'], 'customer:read'),
        forbidden(['acceptMergeSuggestion', 'customer', 'profile'], 'customer:read'),
        forbidden(['acceptMergeSuggestion', 'customer', 'identities'], 'customer:read'),
      ]),
      data: {
        acceptMergeSuggestion: {
          suggestion: { id: pair.id, status: 'ACCEPTED', customerIds: [pair.login, pair.contact].sort(), customers: null },
          customer: { id: pair.login, profile: null, identities: null },
          merged: [pair.contact],
        },
      },
      extensions: { traceId: TRACE_ID },
    });
  });

  it('a key with identity:write only decides, and reads nothing of the suggestion but its own outcome', async () => {
    const pair = await pendingPair('scope-writer');
    const response = await graphql(
      gw.url,
      `mutation($id: ID!) { rejectMergeSuggestion(id: $id, reason: "two people") {
        id status customerIds origin probability createdAt decidedBy evidence { attribute } customers { id } } }`,
      { apiKey: writerKey, purpose: 'support', variables: { id: pair.id } },
    );
    const at = (field: string) => ['rejectMergeSuggestion', field];
    expect(sorted(response.body)).toEqual({
      errors: byPath(['origin', 'probability', 'createdAt', 'decidedBy', 'evidence', 'customers'].map((field) => forbidden(at(field), 'identity:read'))),
      data: {
        rejectMergeSuggestion: {
          id: pair.id,
          status: 'REJECTED',
          customerIds: [pair.login, pair.contact].sort(),
          origin: null,
          probability: null,
          createdAt: null,
          decidedBy: null,
          evidence: null,
          customers: null,
        },
      },
      extensions: { traceId: TRACE_ID },
    });
  });
});

describe('purpose and consent', () => {
  const FULL = /* GraphQL */ `
    query Pending {
      mergeSuggestions { edges { node { id status customerIds evidence { attribute level } customers { id createdAt profile { firstName } } } } }
    }
  `;

  it('without a purpose: the ids and the suggestion, nothing about the two people', async () => {
    const pair = await pendingPair('purpose-none');
    const response = await graphql(gw.url, FULL, { apiKey: ADMIN_KEY });
    const at = ['mergeSuggestions', 'edges', 0, 'node'];
    const [first, second] = [pair.login, pair.contact].sort() as [string, string];
    const denied = [
      withheld([...at, 'evidence'], 'IDENTIFIER', 'PURPOSE_REQUIRED'),
      ...[0, 1].flatMap((i) => [
        withheld([...at, 'customers', i, 'createdAt'], 'BEHAVIORAL', 'PURPOSE_REQUIRED'),
        withheld([...at, 'customers', i, 'profile', 'firstName'], 'CONTACT', 'PURPOSE_REQUIRED'),
      ]),
    ];
    expect(sorted(response.body)).toEqual({
      errors: byPath(denied.map((d) => d.error)),
      data: {
        mergeSuggestions: {
          edges: [
            {
              node: {
                id: pair.id,
                status: 'OPEN',
                customerIds: [first, second],
                evidence: null,
                customers: [
                  { id: first, createdAt: null, profile: { firstName: null } },
                  { id: second, createdAt: null, profile: { firstName: null } },
                ],
              },
            },
          ],
        },
      },
      extensions: { traceId: TRACE_ID, privacy: { purpose: null, fields: byPath(denied.map((d) => d.field)) } },
    });
    await reject(pair.id);
  });

  it('for a consent-bound purpose, one customer without consent withholds the evidence about both and leaves only that customer’s id', async () => {
    const pair = await pendingPair('consent-one');
    await grantMarketing(pair.contact);
    const admin = await graphql(gw.url, FULL, { apiKey: ADMIN_KEY, purpose: 'marketing' });
    const at = ['mergeSuggestions', 'edges', 0, 'node'];
    const customers = [pair.login, pair.contact].sort();
    const index = (id: string) => customers.indexOf(id);
    const denied = [
      withheld([...at, 'evidence'], 'IDENTIFIER', 'CONSENT_NOT_GRANTED'),
      withheld([...at, 'customers', index(pair.login), 'createdAt'], 'BEHAVIORAL', 'CONSENT_NOT_GRANTED'),
      withheld([...at, 'customers', index(pair.login), 'profile', 'firstName'], 'CONTACT', 'CONSENT_NOT_GRANTED'),
    ];
    expect(sorted(admin.body)).toEqual({
      errors: byPath(denied.map((d) => d.error)),
      data: {
        mergeSuggestions: {
          edges: [
            {
              node: {
                id: pair.id,
                status: 'OPEN',
                customerIds: customers,
                evidence: null,
                customers: customers.map((id) =>
                  id === pair.login
                    ? { id, createdAt: null, profile: { firstName: null } }
                    : { id, createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), profile: { firstName: 'Robin' } },
                ),
              },
            },
          ],
        },
      },
      extensions: { traceId: TRACE_ID, privacy: { purpose: 'MARKETING', fields: byPath(denied.map((d) => d.field)) } },
    });
    await reject(pair.id);
  });

  it('with both customers’ consent the evidence is released and audited on each customer’s own trail', async () => {
    const pair = await pendingPair('consent-both');
    await grantMarketing(pair.contact);
    await grantMarketing(pair.login);
    const response = await graphql(gw.url, 'query Evidence { mergeSuggestions { edges { node { id customerIds evidence { attribute level weight } } } } }', {
      apiKey: ADMIN_KEY,
      purpose: 'marketing',
    });
    const customers = [pair.login, pair.contact].sort();
    expect(response.body).toEqual({
      data: { mergeSuggestions: { edges: [{ node: { id: pair.id, customerIds: customers, evidence: [{ ...EVIDENCE[0], weight: null }] } }] } },
      extensions: { traceId: TRACE_ID, privacy: { purpose: 'MARKETING', fields: [] } },
    });
    const traceId = response.body.extensions!.traceId as string;
    for (const customerId of customers) {
      expect(await recordsOf(customerId, traceId)).toEqual([
        {
          operation: 'query Evidence',
          customerIds: [customerId],
          fields: [{ path: 'mergeSuggestions.edges.0.node.evidence', piiClass: 'IDENTIFIER', decision: 'allow' }],
        },
      ]);
    }
    await reject(pair.id);
  });

  it('when the audit cannot be written, the evidence about both is taken back once, at its field in the document', async () => {
    const pair = await pendingPair('audit-down');
    const response = await faults.whileDown(() =>
      graphql(gw.url, 'query Evidence {\n  mergeSuggestions { edges { node { id clues: evidence { attribute } } } }\n}', { apiKey: ADMIN_KEY, purpose: 'support' }),
    );
    const path = ['mergeSuggestions', 'edges', 0, 'node', 'clues'];
    expect(response.body).toEqual({
      errors: [
        {
          message: 'Personal field withheld: the release could not be recorded in the audit trail.',
          locations: [{ line: 2, column: 40 }],
          path,
          extensions: { code: 'PII_ACCESS_DENIED', reason: 'AUDIT_UNAVAILABLE', piiClass: 'IDENTIFIER' },
        },
      ],
      data: { mergeSuggestions: { edges: [{ node: { id: pair.id, clues: null } }] } },
      extensions: { traceId: TRACE_ID, privacy: { purpose: 'SUPPORT', fields: [{ path: path.join('.'), piiClass: 'IDENTIFIER', decision: 'deny', reason: 'AUDIT_UNAVAILABLE' }] } },
    });
    await reject(pair.id);
  });
});
