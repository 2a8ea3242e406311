import { rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { createTestCertificates } from './support/certificates.js';
import type { TestCertificates } from './support/certificates.js';
import { demoCustomer, testDemoData } from './support/demo.js';
import { graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import { LoyaltyTestServer } from './support/loyaltyServer.js';
import { ResolutionTestServer } from './support/resolutionServers.js';

/**
 * Credentials for the HTTP sources (docs/integration.md#credentials): static
 * headers from the environment or a file, and a client certificate for a
 * service that requires mutual TLS. Secrets never reach a log line or a span.
 */
const ID = DEMO_CUSTOMERS.consent.id;
const QUERY = 'query($id: ID!) { customer(id: $id) { id loyalty { tier } } }';
const TIER = () => demoCustomer(ID).loyalty!.tier;

describe('static headers for HTTP sources', () => {
  const LOYALTY_TOKEN = 'Bearer loyalty-token-4f7c9e';
  const RESOLUTION_KEY = 'resolution-key-8a1d22';
  let dir: string;
  let loyalty: LoyaltyTestServer;
  let resolution: ResolutionTestServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'c360-headers-'));
    loyalty = new LoyaltyTestServer(testDemoData().loyalty);
    resolution = new ResolutionTestServer();
  });
  afterAll(async () => {
    await loyalty?.stop();
    await resolution?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the configured bearer token and API key on every call, and writes them nowhere', async () => {
    const headersFile = join(dir, 'resolution-headers.json');
    writeFileSync(headersFile, JSON.stringify({ 'X-Api-Key': RESOLUTION_KEY }));
    const gw = await startTestGateway({
      C360_LOYALTY_URL: await loyalty.start(),
      C360_LOYALTY_HEADERS: JSON.stringify({ Authorization: LOYALTY_TOKEN }),
      C360_RESOLUTION_URL: await resolution.start(),
      C360_RESOLUTION_HEADERS_FILE: headersFile,
      C360_LOG_LEVEL: 'debug',
    });
    try {
      const response = await graphql(gw.url, QUERY, { variables: { id: ID }, purpose: 'support' });
      expect(withoutTraceId(response.body)).toEqual({ data: { customer: { id: ID, loyalty: { tier: TIER() } } }, extensions: { privacy: { purpose: 'SUPPORT', fields: [] } } });
      // Health checks (at start) and reads alike.
      expect(loyalty.headers.map((request) => [request.path, request.headers.authorization])).toEqual(
        loyalty.headers.map((request) => [request.path, LOYALTY_TOKEN]),
      );
      expect(loyalty.headers.map((request) => request.path)).toEqual(expect.arrayContaining(['/health', '/members']));
      expect(resolution.headers.length).toBeGreaterThan(0);
      expect(resolution.headers.every((headers) => headers['x-api-key'] === RESOLUTION_KEY)).toBe(true);
      const recorded = JSON.stringify([gw.logs, gw.spans.getFinishedSpans().map((span) => [span.name, span.attributes, span.events, span.status])]);
      expect(recorded).not.toContain('loyalty-token-4f7c9e');
      expect(recorded).not.toContain(RESOLUTION_KEY);
    } finally {
      await gw.close();
    }
  });
});

describe('mutual TLS to an HTTP source', () => {
  let certs: TestCertificates;
  let loyalty: LoyaltyTestServer;
  let url: string;
  beforeAll(async () => {
    certs = createTestCertificates();
    // A loyalty service that accepts only clients with a certificate its CA signed.
    loyalty = new LoyaltyTestServer(testDemoData().loyalty, {
      tls: { cert: certs.read('serverCert'), key: certs.read('serverKey'), ca: certs.read('ca'), requestCert: true, rejectUnauthorized: true },
    });
    url = await loyalty.start();
  });
  afterAll(async () => {
    await loyalty?.stop();
    certs?.remove();
  });

  it('answers through a service that requires a client certificate', async () => {
    const gw = await startTestGateway({
      C360_LOYALTY_URL: url,
      C360_LOYALTY_TLS_CERT_FILE: certs.files.clientCert,
      C360_LOYALTY_TLS_KEY_FILE: certs.files.clientKey,
      C360_LOYALTY_TLS_CA_FILE: certs.files.ca,
    });
    try {
      const response = await graphql(gw.url, QUERY, { variables: { id: ID }, purpose: 'support' });
      expect(withoutTraceId(response.body)).toEqual({ data: { customer: { id: ID, loyalty: { tier: TIER() } } }, extensions: { privacy: { purpose: 'SUPPORT', fields: [] } } });
      const ready = (await (await fetch(`${gw.url}/readyz`, { headers: { 'x-api-key': 'c360_demo_admin' } })).json()) as { sources: { loyalty: { status: string } } };
      expect(ready.sources.loyalty.status).toBe('up');
    } finally {
      await gw.close();
    }
  });

  it.each([
    ['without a client certificate', { C360_LOYALTY_TLS_CA_FILE: 'ca' }],
    ['without the CA that signed the service', { C360_LOYALTY_TLS_CERT_FILE: 'clientCert', C360_LOYALTY_TLS_KEY_FILE: 'clientKey' }],
  ] as const)('is refused %s: loyalty is SOURCE_UNAVAILABLE, the rest answers, the gateway stays up', async (_name, files) => {
    const env = Object.fromEntries(Object.entries(files).map(([variable, file]) => [variable, certs.files[file as keyof TestCertificates['files']]]));
    const gw = await startTestGateway({ C360_LOYALTY_URL: url, C360_SOURCE_RETRIES: '0', ...env });
    try {
      const before = loyalty.requests.length;
      const response = await graphql(gw.url, QUERY, { variables: { id: ID }, purpose: 'support' });
      expect(withoutTraceId(response.body)).toEqual({
        data: { customer: { id: ID, loyalty: null } },
        errors: [
          {
            message: expect.stringMatching(/^loyalty source is unavailable: /),
            locations: [{ line: 1, column: 42 }],
            path: ['customer', 'loyalty'],
            extensions: { code: 'SOURCE_UNAVAILABLE', source: 'loyalty' },
          },
        ],
      });
      expect(loyalty.requests.length).toBe(before);
    } finally {
      await gw.close();
    }
  });
});
