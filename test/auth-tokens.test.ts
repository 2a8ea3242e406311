import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { demoCustomer } from './support/demo.js';
import { graphql, startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { PII_SELECTION, byPath, expectedPii, loginPrincipalId, pseudonym } from './support/privacy.js';
import { JwksServer, TEST_JWT_SECRET, es256Key, loginOf, signToken } from './support/tokens.js';

const TRACE_ID = expect.stringMatching(/^[0-9a-f]{32}$/);
const OWN = DEMO_CUSTOMERS.consent.id;
const OTHER = DEMO_CUSTOMERS.noConsent.id;
/** A customer token names the login its identity provider verified (a USER_ID), not a customer id. */
const LOGIN = loginOf(OWN);

const bearer = (token: string) => ({ apiKey: null, headers: { authorization: `Bearer ${token}` } });
const unauthenticated = (message: string) => ({ status: 401, body: { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] } });

describe('HS256 tokens', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_JWT_SECRET: TEST_JWT_SECRET, C360_SOURCE_TIMEOUT_MS: '5000' });
  });
  afterAll(() => gw?.close());

  describe('a customer token', () => {
    it('reads its own record through me, every personal field released for self_service; the identity graph needs identity:read', async () => {
      const token = await signToken({ sub: LOGIN, role: 'customer' });
      const response = await graphql(gw.url, `{ me { ${PII_SELECTION} } }`, bearer(token));
      expect({ status: response.status, body: response.body }).toEqual({
        status: 200,
        body: {
          errors: [
            {
              message: 'identityGraph needs the scope identity:read.',
              locations: expect.any(Array),
              path: ['me', 'identityGraph'],
              extensions: { code: 'FORBIDDEN', scope: 'identity:read' },
            },
          ],
          data: { me: { ...expectedPii(OWN, { purpose: 'self_service', own: OWN }, ['me']).value, identityGraph: null } },
          extensions: { traceId: TRACE_ID, privacy: { purpose: 'SELF_SERVICE', fields: [] } },
        },
      });
    });

    it('cannot read another customer', async () => {
      const token = await signToken({ sub: LOGIN, role: 'customer' });
      const response = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { id profile { email } } }', { ...bearer(token), variables: { id: OTHER } });
      expect({ status: response.status, body: response.body }).toEqual({
        status: 403,
        body: {
          errors: [
            {
              message: 'customer is not available to customer tokens; a customer reads their own record through me.',
              locations: expect.any(Array),
              path: ['customer'],
              extensions: { code: 'FORBIDDEN' },
            },
          ],
          data: { customer: null },
          extensions: { traceId: TRACE_ID },
        },
      });
    });

    it('is refused any purpose but self_service', async () => {
      const token = await signToken({ sub: LOGIN, role: 'customer' });
      const response = await graphql(gw.url, '{ me { id } }', { ...bearer(token), purpose: 'marketing' });
      expect({ status: response.status, body: response.body }).toEqual({
        status: 403,
        body: { errors: [{ message: 'Purpose MARKETING is not allowed for this principal (allowed: SELF_SERVICE).', extensions: { code: 'PURPOSE_NOT_ALLOWED' } }] },
      });
    });

    it('shows itself in viewer', async () => {
      const token = await signToken({ sub: LOGIN, role: 'customer' });
      const response = await graphql(gw.url, '{ viewer { id name kind scopes purposes } }', bearer(token));
      expect(response.body.data).toEqual({
        viewer: {
          // A keyed pseudonym of the login: the login itself would put an identifier of the person into every log line and audit record.
          id: loginPrincipalId('USER_ID', LOGIN),
          name: 'Signed-in customer',
          kind: 'customer',
          scopes: ['consent:read', 'customer:read', 'events:read', 'segments:read'],
          purposes: ['SELF_SERVICE'],
        },
      });
    });
  });

  describe('an agent token', () => {
    it('keeps only support and fraud of the purposes it claims, and reads a customer for support', async () => {
      const token = await signToken({ sub: 'agent-17', role: 'agent', name: 'Agent Seventeen', purposes: ['support', 'marketing', 'fraud'] });
      const viewer = await graphql(gw.url, '{ viewer { id kind purposes } }', bearer(token));
      expect(viewer.body.data).toEqual({ viewer: { id: 'agent:agent-17', kind: 'agent', purposes: ['SUPPORT', 'FRAUD'] } });

      const read = await graphql(gw.url, `query($id: ID!) { customer(id: $id) { ${PII_SELECTION} } }`, { ...bearer(token), purpose: 'support', variables: { id: OTHER } });
      expect(read.body).toEqual({
        data: { customer: expectedPii(OTHER, { purpose: 'support' }, ['customer']).value },
        extensions: { traceId: TRACE_ID, privacy: { purpose: 'SUPPORT', fields: [] } },
      });

      const marketing = await graphql(gw.url, '{ viewer { id } }', { ...bearer(token), purpose: 'marketing' });
      expect(marketing.status).toBe(403);
      expect(marketing.body.errors?.[0]?.extensions).toEqual({ code: 'PURPOSE_NOT_ALLOWED' });
    });

    it('cannot use me, which is for customers', async () => {
      const token = await signToken({ sub: 'agent-17', role: 'agent', purposes: 'support' });
      const response = await graphql(gw.url, '{ me { id } }', { ...bearer(token), purpose: 'support' });
      expect({ status: response.status, errors: response.body.errors }).toEqual({
        status: 403,
        errors: [{ message: 'me is only for end-user (customer) tokens.', locations: expect.any(Array), path: ['me'], extensions: { code: 'FORBIDDEN' } }],
      });
    });
  });

  it.each([
    ['an expired token', () => signToken({ sub: LOGIN, role: 'customer' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 }), 'Invalid token: it has expired.'],
    ['a token signed with another secret', async () => (await signToken({ sub: LOGIN, role: 'customer' })).replace(/\.[^.]+$/, '.c2lnbmF0dXJl'), 'Invalid token: the signature does not verify.'],
    ['a token without a role', () => signToken({ sub: OWN }), 'Invalid token: the "role" claim must be "customer" or "agent".'],
    ['a customer token whose login is not an identifier', () => signToken({ sub: 'not an id!', role: 'customer' }), 'Invalid token: the "sub" claim must be 1–128 characters from letters, digits and . _ : @ | + = -, starting with a letter or digit.'],
    ['something that is not a JWT', async () => 'not-a-jwt', 'Invalid token: it is malformed.'],
  ])('refuses %s with UNAUTHENTICATED', async (_case, token, message) => {
    const response = await graphql(gw.url, '{ viewer { id } }', bearer(await token()));
    expect({ status: response.status, body: response.body }).toEqual(unauthenticated(message));
  });

  it('a customer token whose login no customer holds reads me as null', async () => {
    const token = await signToken({ sub: 'user_nobody_has', role: 'customer' });
    const response = await graphql(gw.url, '{ me { id } }', bearer(token));
    expect(response.body).toEqual({ data: { me: null }, extensions: { traceId: TRACE_ID } });
  });

  it('an API key cannot use me', async () => {
    const response = await graphql(gw.url, '{ me { id } }', { purpose: 'support' });
    expect(response.body.errors?.map((e) => e.extensions)).toEqual([{ code: 'FORBIDDEN' }]);
  });
});

describe('tokens verified against a JWKS URL', () => {
  let gw: TestGateway;
  let jwks: JwksServer;
  let signing: Awaited<ReturnType<typeof es256Key>>;
  const issuer = 'https://id.example.test/';
  const audience = 'c360';

  beforeAll(async () => {
    signing = await es256Key('key-1');
    jwks = new JwksServer([signing.publicJwk]);
    const url = await jwks.start();
    gw = await startTestGateway({ C360_JWKS_URL: url, C360_JWT_ISSUER: issuer, C360_JWT_AUDIENCE: audience, C360_SOURCE_TIMEOUT_MS: '5000' });
  });
  afterAll(async () => {
    await gw?.close();
    await jwks?.stop();
  });

  it('accepts an ES256 token signed by a key the JWKS publishes', async () => {
    const token = await signToken({ sub: LOGIN, role: 'customer' }, { issuer, audience }, signing);
    const response = await graphql(gw.url, '{ me { id profile { email } } }', bearer(token));
    expect(response.body).toEqual({
      data: { me: { id: OWN, profile: { email: demoCustomer(OWN).customer.profile.email } } },
      extensions: { traceId: TRACE_ID, privacy: { purpose: 'SELF_SERVICE', fields: [] } },
    });
    expect(jwks.hits).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['signed by a key the JWKS does not publish', async () => signToken({ sub: LOGIN, role: 'customer' }, { issuer, audience }, await es256Key('key-unknown')), 'Invalid token: no signing key matches its key id.'],
    ['from another issuer', () => signToken({ sub: LOGIN, role: 'customer' }, { issuer: 'https://elsewhere.test/', audience }, signing), 'Invalid token: the "iss" claim is missing or not accepted.'],
    ['for another audience', () => signToken({ sub: LOGIN, role: 'customer' }, { issuer, audience: 'someone-else' }, signing), 'Invalid token: the "aud" claim is missing or not accepted.'],
    ['signed with HS256 where no secret is configured', () => signToken({ sub: LOGIN, role: 'customer' }, { issuer, audience }), 'Invalid token: algorithm HS256 is not accepted here.'],
  ])('refuses a token %s', async (_case, token, message) => {
    const response = await graphql(gw.url, '{ viewer { id } }', bearer(await token()));
    expect({ status: response.status, body: response.body }).toEqual(unauthenticated(message));
  });

  it('lists nothing for a token it cannot verify in the privacy extension (the request never runs)', async () => {
    const response = await graphql(gw.url, '{ me { id } }', bearer('a.b.c'));
    expect(byPath(response.body.errors).map((e) => e.extensions)).toEqual([{ code: 'UNAUTHENTICATED' }]);
  });
});

describe("a customer token's principal id", () => {
  const OTHER_KEY = 'c4e1f7a9b3d5c8e0f2a4b6d8e0c1a3f5b7d9e2c4a6f8b0d1e3c5a7f9b2d4e6a8';
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ C360_JWT_SECRET: TEST_JWT_SECRET, C360_PSEUDONYM_KEY: OTHER_KEY });
  });
  afterAll(() => gw?.close());

  it('is keyed by C360_PSEUDONYM_KEY: another key gives another id, and no plain digest of the login reproduces it', async () => {
    const token = await signToken({ sub: LOGIN, role: 'customer' });
    const response = await graphql<{ viewer: { id: string } }>(gw.url, '{ viewer { id } }', bearer(token));
    const id = response.body.data!.viewer.id;
    expect(id).toBe(loginPrincipalId('USER_ID', LOGIN, OTHER_KEY));
    expect(id).not.toBe(loginPrincipalId('USER_ID', LOGIN));
    // The unkeyed digest anyone could compute from a guessed login.
    const digest = createHash('sha256').update(`USER_ID#${LOGIN}`).digest('base64url').slice(0, 22);
    expect(id).not.toBe(`customer:${digest}`);
  });

  it("keys a customer's own pseudonyms (pseudonym_scope: principal) under that id, and still reads me", async () => {
    const token = await signToken({ sub: LOGIN, role: 'customer', pseudonym_scope: 'principal' });
    const response = await graphql(gw.url, '{ me { id } viewer { id } }', bearer(token));
    expect(response.body).toEqual({
      data: { me: { id: OWN }, viewer: { id: loginPrincipalId('USER_ID', LOGIN, OTHER_KEY) } },
      extensions: { traceId: TRACE_ID },
    });
  });
});

describe('a token that asks for pseudonyms of its own (pseudonym_scope)', () => {
  let gw: TestGateway;
  let dir: string;
  beforeAll(async () => {
    // A policy under which support hashes identifiers, so that pseudonyms reach an agent at all.
    const policy = JSON.parse(readFileSync(new URL('../config/policy.json', import.meta.url), 'utf8')) as { purposes: { support: { classes: Record<string, string> } } };
    policy.purposes.support.classes.IDENTIFIER = 'hash';
    dir = mkdtempSync(join(tmpdir(), 'c360-policy-'));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(policy));
    gw = await startTestGateway({ C360_JWT_SECRET: TEST_JWT_SECRET, C360_POLICY_FILE: join(dir, 'policy.json') });
  });
  afterAll(async () => {
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const crmIdFor = async (claims: Record<string, unknown>) => {
    const token = await signToken({ role: 'agent', purposes: ['support'], ...claims });
    const response = await graphql<{ customer: { crm: { crmId: string } } }>(gw.url, 'query($id: ID!) { customer(id: $id) { crm { crmId } } }', {
      ...bearer(token),
      purpose: 'support',
      variables: { id: OWN },
    });
    return response.body.data!.customer.crm.crmId;
  };

  it('hashes for an agent under a key of its own, stable for it and matching no one else', async () => {
    const crmId = demoCustomer(OWN).crm!.crmId;
    const [shared, own, again, other] = await Promise.all([
      crmIdFor({ sub: 'agent-1' }),
      crmIdFor({ sub: 'agent-1', pseudonym_scope: 'principal' }),
      crmIdFor({ sub: 'agent-1', pseudonym_scope: 'principal' }),
      crmIdFor({ sub: 'agent-2', pseudonym_scope: 'principal' }),
    ]);
    expect(shared).toBe(pseudonym(crmId));
    expect(own).toBe(again);
    expect(new Set([shared, own, other]).size).toBe(3);
  });

  it('refuses a token whose pseudonym_scope is neither shared nor principal', async () => {
    const token = await signToken({ sub: 'agent-3', role: 'agent', purposes: ['support'], pseudonym_scope: 'everyone' });
    const response = await graphql(gw.url, '{ viewer { id } }', bearer(token));
    expect({ status: response.status, body: response.body }).toEqual(unauthenticated('Invalid token: the "pseudonym_scope" claim must be "shared" or "principal".'));
  });
});
