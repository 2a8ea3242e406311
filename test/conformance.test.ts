import { readFileSync } from 'node:fs';
import { serverAudits } from 'graphql-http';
import type { AuditResult } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/process.js';
import { startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

/** The ids docs/conformance.md lists under "SHOULD audits that fail", with the reason for each. */
function documentedShouldFailures(): string[] {
  const text = readFileSync(`${ROOT}docs/conformance.md`, 'utf8');
  const section = text.split('## SHOULD audits that fail')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\| `([0-9A-Z]{4})` \|/gm)].map((match) => match[1]!).sort();
}

/**
 * GraphQL over HTTP conformance: graphql-http's own audit suite against the
 * running gateway. The audits carry a partner's API key, as every client of
 * this gateway must; nothing else is added to their requests.
 */
describe('GraphQL over HTTP (graphql-http server audits)', () => {
  let gw: TestGateway;
  let results: Array<AuditResult & { requirement: string }>;
  beforeAll(async () => {
    gw = await startTestGateway();
    const fetchFn = (input: RequestInfo | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      headers.set('x-api-key', 'c360_demo_support');
      return fetch(input, { ...init, headers });
    };
    results = [];
    for (const audit of serverAudits({ url: `${gw.url}/graphql`, fetchFn })) {
      results.push({ ...(await audit.fn()), requirement: audit.name.split(' ')[0]! });
    }
  });
  afterAll(() => gw?.close());

  it('passes every MUST audit', () => {
    const failed = results.filter((r) => r.requirement === 'MUST' && r.status !== 'ok').map((r) => `${r.id} ${r.name}: ${'reason' in r ? r.reason : ''}`);
    expect(failed).toEqual([]);
    expect(results.filter((r) => r.requirement === 'MUST').length).toBeGreaterThan(10);
  });

  it('fails exactly the SHOULD audits docs/conformance.md lists, with their reasons', () => {
    const failing = results.filter((r) => r.requirement === 'SHOULD' && r.status !== 'ok').map((r) => r.id).sort();
    expect(failing).toEqual(documentedShouldFailures());
  });

  it('passes every MAY audit', () => {
    expect(results.filter((r) => r.requirement === 'MAY' && r.status !== 'ok').map((r) => r.id)).toEqual([]);
  });

  it('matches the results table in docs/conformance.md', () => {
    const text = readFileSync(`${ROOT}docs/conformance.md`, 'utf8');
    for (const requirement of ['MUST', 'SHOULD', 'MAY']) {
      const all = results.filter((r) => r.requirement === requirement);
      const passed = all.filter((r) => r.status === 'ok');
      expect(text).toContain(`| ${requirement} | ${all.length} | ${passed.length} |`);
    }
  });
});
