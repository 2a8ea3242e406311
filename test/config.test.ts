import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CRM_MAPPING } from '../connectors/crm/mapping.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { spawnGateway } from './support/process.js';

describe('configuration from the environment', () => {
  it('has a default for everything', () => {
    const config = loadConfig({});
    expect({ host: config.host, port: config.port, dataDir: config.dataDir, embedded: config.embedded, demo: config.demo.enabled }).toEqual({
      host: '127.0.0.1',
      port: 4000,
      dataDir: './.c360-data',
      embedded: true,
      demo: true,
    });
    expect(config.sources.loyalty.timeoutMs).toBe(300);
  });

  it('serves metrics only when C360_METRICS_PORT is set, on the public address unless C360_METRICS_HOST says otherwise', () => {
    expect(loadConfig({}).metrics).toBeUndefined();
    expect(loadConfig({ C360_HOST: '0.0.0.0', C360_METRICS_PORT: '9464' }).metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(loadConfig({ C360_METRICS_PORT: '9464', C360_METRICS_HOST: '::1' }).metrics).toEqual({ host: '::1', port: 9464 });
    expect(loadConfig({ C360_PORT: '0', C360_METRICS_PORT: '0' }).metrics).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('switches sources to their production adapters', () => {
    const config = loadConfig({
      C360_DYNAMODB_ENDPOINT: 'https://dynamodb.eu-west-1.amazonaws.com',
      AWS_REGION: 'eu-west-1',
      C360_MONGODB_URL: 'mongodb://crm.internal:27017',
      C360_LOYALTY_URL: 'http://loyalty.internal:8080',
      C360_RESOLUTION_URL: 'http://resolution.internal:8080',
      C360_LOYALTY_TIMEOUT_MS: '150',
      C360_PSEUDONYM_KEY: '3b1f8e2a9c4d7f60a5e2b8c1d4f7a0e3b6c9d2f5a8e1b4c7d0f3a6e9b2c5d8f1',
    });
    expect(config).toMatchObject({
      embedded: false,
      demo: { enabled: false },
      dynamodb: { endpoint: 'https://dynamodb.eu-west-1.amazonaws.com', region: 'eu-west-1', localCredentials: false },
      mongodb: { url: 'mongodb://crm.internal:27017', database: 'c360', mapping: DEFAULT_CRM_MAPPING },
      loyaltyUrl: 'http://loyalty.internal:8080',
      resolutionUrl: 'http://resolution.internal:8080',
      sources: { loyalty: { timeoutMs: 150 }, crm: { timeoutMs: 300 } },
      // One secret outside demo mode: the suppression list's key is derived from the pseudonym key.
      suppressionKey: undefined,
    });
  });

  it('reads a CRM collection as it is through a field mapping', () => {
    const config = loadConfig({
      C360_MONGODB_URL: 'mongodb://crm.internal:27017',
      C360_MONGODB_DATABASE: 'salesforce_mirror',
      C360_CRM_COLLECTION: 'Contact',
      C360_CRM_ID_FIELD: 'Id',
      C360_CRM_ID_TYPE: 'objectId',
      C360_CRM_FIELDS: 'firstName=FirstName, lastName=LastName,email=Email,accountManager=Owner.Name,cases=Cases',
      C360_CRM_CASE_FIELDS: 'id=CaseNumber,subject=Subject,status=Status,openedAt=CreatedDate',
      C360_CRM_CLOSED_STATUSES: 'Closed,Resolved',
    });
    expect(config.mongodb).toEqual({
      url: 'mongodb://crm.internal:27017',
      database: 'salesforce_mirror',
      mapping: {
        collection: 'Contact',
        idField: 'Id',
        idType: 'objectId',
        fields: { firstName: 'FirstName', lastName: 'LastName', email: 'Email', phone: 'phone', accountManager: 'Owner.Name', cases: 'Cases' },
        caseFields: { id: 'CaseNumber', subject: 'Subject', status: 'Status', openedAt: 'CreatedDate' },
        closedStatuses: ['closed', 'resolved'],
      },
    });
  });

  it('reads credentials for the HTTP sources from the environment or from files, never echoing them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'c360-config-'));
    try {
      writeFileSync(join(dir, 'headers.json'), JSON.stringify({ 'X-Api-Key': 'file-secret' }));
      writeFileSync(join(dir, 'client.pem'), 'CERT');
      writeFileSync(join(dir, 'client.key'), 'KEY');
      const config = loadConfig({
        C360_LOYALTY_HEADERS: '{"Authorization": "Bearer env-secret"}',
        C360_RESOLUTION_URL: 'https://resolution.internal',
        C360_RESOLUTION_HEADERS_FILE: join(dir, 'headers.json'),
        C360_RESOLUTION_TLS_CERT_FILE: join(dir, 'client.pem'),
        C360_RESOLUTION_TLS_KEY_FILE: join(dir, 'client.key'),
      });
      expect(config.loyaltyCredentials).toEqual({ headers: { authorization: 'Bearer env-secret' }, tls: undefined });
      expect(config.resolution).toEqual({
        adapter: 'http',
        url: 'https://resolution.internal',
        credentials: { headers: { 'x-api-key': 'file-secret' }, tls: { cert: 'CERT', key: 'KEY', ca: undefined } },
      });
      expect(() => loadConfig({ C360_LOYALTY_HEADERS: '{}', C360_LOYALTY_HEADERS_FILE: join(dir, 'headers.json') })).toThrow(
        'C360_LOYALTY_HEADERS_FILE: give C360_LOYALTY_HEADERS or C360_LOYALTY_HEADERS_FILE, not both',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('needs one secret outside demo mode: C360_SUPPRESSION_KEY is an optional override of the key derived from C360_PSEUDONYM_KEY', () => {
    let message = '';
    try {
      loadConfig({ C360_DEMO: 'false' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('C360_PSEUDONYM_KEY: required outside demo mode');
    expect(message).not.toContain('C360_SUPPRESSION_KEY');
    const pseudonymKey = '3b1f8e2a9c4d7f60a5e2b8c1d4f7a0e3b6c9d2f5a8e1b4c7d0f3a6e9b2c5d8f1';
    expect(loadConfig({ C360_DEMO: 'false', C360_PSEUDONYM_KEY: pseudonymKey }).suppressionKey).toBeUndefined();
    expect(loadConfig({}).suppressionKey).toBeUndefined();
    expect(loadConfig({ C360_DEMO: 'false', C360_PSEUDONYM_KEY: pseudonymKey, C360_SUPPRESSION_KEY: 'a-production-secret-of-32-characters!' }).suppressionKey).toBe(
      'a-production-secret-of-32-characters!',
    );
  });

  const BAD: Array<[Record<string, string>, string]> = [
    [{ C360_PORT: 'abc' }, 'C360_PORT: expected a number'],
    [{ C360_PORT: '70000' }, 'C360_PORT: expected at most 65535'],
    [{ C360_SOURCE_TIMEOUT_MS: '0' }, 'C360_SOURCE_TIMEOUT_MS: expected at least 1'],
    [{ C360_LOYALTY_URL: 'loyalty' }, 'C360_LOYALTY_URL: expected an absolute URL'],
    [{ C360_MONGODB_URL: 'http://crm' }, 'C360_MONGODB_URL: expected a mongodb:// or mongodb+srv:// URL'],
    [{ C360_REQUIRED_SOURCES: 'singleview,billing' }, 'C360_REQUIRED_SOURCES: expected a comma-separated list'],
    [{ C360_LOG_LEVEL: 'loud' }, 'C360_LOG_LEVEL: Invalid option'],
    [{ C360_DATALOADER: 'maybe' }, 'C360_DATALOADER: expected true or false'],
    [{ C360_PHONE_DEFAULT_REGION: 'usa' }, 'C360_PHONE_DEFAULT_REGION: expected an ISO 3166'],
    [{ C360_EXECUTOR: 'fast' }, 'C360_EXECUTOR: expected jit or stock'],
    [{ C360_SOURCES: 'memory' }, 'C360_SOURCES: memory is a benchmark-only setting; it needs C360_BENCHMARK_MODE=true'],
    [{ C360_SOURCES: 'ram', C360_BENCHMARK_MODE: 'true' }, 'C360_SOURCES: expected configured or memory'],
    [{ C360_CRM_ID_TYPE: 'uuid' }, 'C360_CRM_ID_TYPE: expected string, objectId or number'],
    [{ C360_CRM_ID_FIELD: '$where' }, 'C360_CRM_ID_FIELD: expected a field path'],
    [{ C360_CRM_FIELDS: 'nickname=nick' }, 'C360_CRM_FIELDS: expected fields among firstName, lastName, email, phone, accountManager, cases'],
    [{ C360_CRM_FIELDS: 'email' }, 'C360_CRM_FIELDS: expected field=path pairs'],
    [{ C360_CRM_FIELDS: 'email=contact,phone=contact.phone' }, 'C360_CRM_FIELDS: the paths contact and contact.phone overlap'],
    [{ C360_CRM_CASE_FIELDS: 'subject=$title' }, 'C360_CRM_CASE_FIELDS: expected a field path'],
    [{ C360_CRM_COLLECTION: 'system.users' }, 'C360_CRM_COLLECTION: expected a collection name'],
    [{ C360_LOYALTY_HEADERS: 'Bearer secret-token' }, 'C360_LOYALTY_HEADERS: expected a JSON object of header names and values'],
    [{ C360_LOYALTY_HEADERS: '{"traceparent": "secret-token"}' }, 'C360_LOYALTY_HEADERS: header traceparent is set by the gateway itself'],
    [{ C360_LOYALTY_HEADERS: '{"authorization": "secret\\r\\nx-injected: 1"}' }, 'C360_LOYALTY_HEADERS: the value of header authorization must be a string without line breaks'],
    [{ C360_LOYALTY_HEADERS: '{"bad header": "secret-token"}' }, 'C360_LOYALTY_HEADERS: a header name is not a valid HTTP token'],
    [{ C360_RESOLUTION_HEADERS_FILE: '/nonexistent/secret-token.json' }, 'C360_RESOLUTION_HEADERS_FILE: cannot read the file (ENOENT)'],
    [{ C360_LOYALTY_TLS_CERT_FILE: '/dev/null' }, 'C360_LOYALTY_TLS_KEY_FILE: a client certificate needs both C360_LOYALTY_TLS_CERT_FILE and C360_LOYALTY_TLS_KEY_FILE'],
    [{ C360_LOYALTY_TLS_CA_FILE: '/nonexistent/secret-token.pem' }, 'C360_LOYALTY_TLS_CA_FILE: cannot read the file (ENOENT)'],
    [{ C360_TRACE_PARENT: 'always' }, 'C360_TRACE_PARENT: expected trust or link'],
    [{ C360_METRICS_PORT: 'nine' }, 'C360_METRICS_PORT: expected a number'],
    [{ C360_METRICS_PORT: '4000' }, 'C360_METRICS_PORT: expected a port other than C360_PORT'],
    [{ C360_METRICS_PORT: '9464', C360_PORT: '9464' }, 'C360_METRICS_PORT: expected a port other than C360_PORT'],
    [{ C360_METRICS_HOST: '127.0.0.1' }, 'C360_METRICS_HOST: has no effect without C360_METRICS_PORT'],
  ];
  for (const [env, fragment] of BAD) {
    it(`refuses ${JSON.stringify(env)} naming the variable, never its value`, () => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(fragment);
      const message = (() => {
        try {
          loadConfig(env);
          return '';
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(message).not.toContain('secret');
    });
  }

  // Checked like C360_PSEUDONYM_KEY, whose message says what a random secret looks like: the value is what must not be echoed.
  for (const [value, fragment] of [
    ['tooshort-token', 'C360_SUPPRESSION_KEY: expected at least 32 characters'],
    ['tok3n-'.repeat(8), 'C360_SUPPRESSION_KEY: looks low-entropy'],
  ] as const) {
    it(`refuses a suppression key that is ${fragment.split(': ')[1]}, naming the variable, never its value`, () => {
      expect(() => loadConfig({ C360_SUPPRESSION_KEY: value })).toThrow(ConfigError);
      expect(() => loadConfig({ C360_SUPPRESSION_KEY: value })).toThrow(fragment);
      expect(() => loadConfig({ C360_SUPPRESSION_KEY: value })).not.toThrow('tok');
    });
  }

  it('stops `npm start` with a message naming the variable and without echoing its value', async () => {
    const gateway = spawnGateway({ C360_PORT: 'secret-ish-value', C360_DATA_DIR: 'memory' });
    const code = await gateway.exited;
    const stderr = gateway.stderr.join('');
    expect(code).toBe(78);
    expect(stderr).toContain('Invalid configuration:\n  C360_PORT: expected a number');
    expect(stderr).not.toContain('secret-ish-value');
  });
});
