import { describe, expect, it } from 'vitest';
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
      mongodb: { url: 'mongodb://crm.internal:27017', database: 'c360' },
      loyaltyUrl: 'http://loyalty.internal:8080',
      resolutionUrl: 'http://resolution.internal:8080',
      sources: { loyalty: { timeoutMs: 150 }, crm: { timeoutMs: 300 } },
    });
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
  ];
  for (const [env, fragment] of BAD) {
    it(`refuses ${JSON.stringify(env)} naming the variable`, () => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(fragment);
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
