import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parsePromQL, selectorsOf } from '../scripts/dashboard/promql.js';
import { mintApiKey } from '../src/auth/apiKeys.js';
import { DEMO_KEYS } from '../src/auth/demoKeys.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import type { Sources } from '../src/sources.js';
import { testDemoData } from './support/demo.js';
import { AuditFaults } from './support/faultyAudit.js';
import { FaultyCrm } from './support/faultyCrm.js';
import { graphql, startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { ROOT } from './support/process.js';
import { exportedNames, scrape, total } from './support/prometheus.js';
import type { Exposition } from './support/prometheus.js';

/**
 * /metrics from a real gateway after real requests over HTTP: the series
 * exist with the labels docs/operations.md names and move with what the
 * gateway did; nothing personal and nothing unbounded is in them; and they
 * are served only on the metrics listener.
 */
const CUSTOMER_QUERY = 'query Agent($id: ID!) { customer(id: $id) { id profile { email firstName birthDate } identities { value } loyalty { tier } } }';
const CRM_QUERY = 'query AgentCrm($id: ID!) { customer(id: $id) { id crm { crmId } } }';

let gw: TestGateway;
let metricsUrl: string;
const audit = new AuditFaults();
let crm: FaultyCrm;
/** A key allowed one request a minute, so its second is refused by the principal rate limit. */
const limited = mintApiKey({ clientName: 'Limited', scopes: ['customer:read', 'segments:read'], purposes: ['SUPPORT'], rateLimitPerMinute: 1 });

beforeAll(async () => {
  gw = await startTestGateway(
    {
      C360_METRICS_PORT: '0',
      C360_AUTH_FAILURES_PER_MINUTE: '2',
      // So the failed authentications come from an address of their own (X-Forwarded-For), not the other tests'.
      C360_TRUST_PROXY: 'true',
      // Long enough to ask the draining gateway once and scrape it.
      C360_SHUTDOWN_DELAY_MS: '1500',
      C360_BREAKER_HALF_OPEN_MS: '600000',
    },
    {
      decorateSources: (sources: Sources) => {
        crm = new FaultyCrm(sources.crm);
        return audit.decorate({ ...sources, crm });
      },
    },
  );
  metricsUrl = gw.gateway.metrics!.url!;
  await gw.gateway.services.sources.singleView.putApiKey(limited.record);
});
afterAll(() => gw?.close());

/** Scrapes, runs `act`, scrapes again: the counters' movement is what `act` did. */
async function around(act: () => Promise<unknown>): Promise<{ before: Exposition; after: Exposition; delta: (name: string, labels?: Record<string, string>) => number }> {
  const before = await scrape(metricsUrl);
  await act();
  const after = await scrape(metricsUrl);
  return { before, after, delta: (name, labels = {}) => total(after, name, labels) - total(before, name, labels) };
}

describe('the metrics listener', () => {
  it('serves /metrics in the Prometheus text format on C360_METRICS_PORT, and nothing else there', async () => {
    const response = await fetch(`${metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(new URL(metricsUrl).port).not.toBe(new URL(gw.url).port);
    for (const path of ['/graphql', '/healthz', '/readyz', '/']) expect((await fetch(`${metricsUrl}${path}`)).status, path).toBe(404);
  });

  it('is not on the public listener', async () => {
    const response = await fetch(`${gw.url}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('c360_graphql_requests_total');
  });

  it('exports the process metrics: event-loop delay, heap, CPU', async () => {
    const exposition = await scrape(metricsUrl);
    for (const name of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes', 'process_cpu_seconds_total', 'process_resident_memory_bytes']) {
      expect(exposition.families.has(name), name).toBe(true);
    }
    expect(total(exposition, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });
});

describe('requests', () => {
  it('counts a request by operation name, principal kind and outcome, times it, and counts its source calls and batch sizes', async () => {
    const { delta } = await around(async () => {
      const response = await graphql(gw.url, CUSTOMER_QUERY, { variables: { id: DEMO_CUSTOMERS.consent.id }, purpose: 'support' });
      expect(response.body.errors).toBeUndefined();
    });
    expect(delta('c360_graphql_requests_total', { operation: 'Agent', principal_kind: 'apiKey', outcome: 'ok' })).toBe(1);
    expect(delta('c360_graphql_requests_total')).toBe(1);
    expect(delta('c360_graphql_request_duration_seconds_count', { operation: 'Agent' })).toBe(1);
    expect(delta('c360_graphql_request_duration_seconds_sum', { operation: 'Agent' })).toBeGreaterThan(0);
    expect(delta('c360_graphql_request_duration_seconds_bucket', { operation: 'Agent', le: '+Inf' })).toBe(1);
    expect(delta('c360_source_calls_total', { source: 'singleview', operation: 'getCustomers' })).toBe(1);
    expect(delta('c360_source_calls_total', { source: 'loyalty', operation: 'getMany' })).toBe(1);
    expect(delta('c360_source_batch_size_count', { source: 'singleview', operation: 'getCustomers' })).toBe(1);
    expect(delta('c360_source_batch_size_sum', { source: 'singleview', operation: 'getCustomers' })).toBe(1);
    expect(delta('c360_source_call_duration_seconds_count', { source: 'singleview', operation: 'getCustomers' })).toBe(1);
    expect(delta('c360_source_errors_total')).toBe(0);
  });

  it('names an operation without a name anonymous, and counts one that never resolved (invalid) as rejected', async () => {
    const { delta } = await around(async () => {
      expect((await graphql(gw.url, '{ segments { id } }')).status).toBe(200);
      expect((await graphql(gw.url, 'query Broken { noSuchField }')).status).toBe(400);
    });
    expect(delta('c360_graphql_requests_total', { operation: 'anonymous', principal_kind: 'apiKey', outcome: 'ok' })).toBe(1);
    expect(delta('c360_graphql_requests_total', { operation: 'unresolved', principal_kind: 'apiKey', outcome: 'rejected' })).toBe(1);
  });

  it('counts the operation names of the trusted documents by name', async () => {
    const { delta } = await around(() => graphql(gw.url, 'query Segments { segments { description id name realtime } }'));
    expect(delta('c360_graphql_requests_total', { operation: 'Segments', outcome: 'ok' })).toBe(1);
  });

  it('counts a bad credential as rejected with no principal, and the address refused after it as rate limited', async () => {
    const { delta } = await around(async () => {
      const headers = { 'x-forwarded-for': '198.51.100.7' };
      for (let i = 0; i < 2; i++) expect((await graphql(gw.url, '{ segments { id } }', { apiKey: 'c360_nope.nope', headers })).status).toBe(401);
      expect((await graphql(gw.url, '{ segments { id } }', { apiKey: 'c360_nope.nope', headers })).status).toBe(429);
    });
    expect(delta('c360_graphql_requests_total', { operation: 'unresolved', principal_kind: 'none', outcome: 'rejected' })).toBe(2);
    expect(delta('c360_graphql_requests_total', { operation: 'unresolved', principal_kind: 'none', outcome: 'rate_limited' })).toBe(1);
    expect(delta('c360_rate_limited_requests_total', { limiter: 'auth_failures' })).toBe(1);
  });

  it('counts a request over the principal\'s rate limit', async () => {
    const { delta } = await around(async () => {
      expect((await graphql(gw.url, '{ segments { id } }', { apiKey: limited.key })).status).toBe(200);
      expect((await graphql(gw.url, '{ segments { id } }', { apiKey: limited.key })).status).toBe(429);
    });
    expect(delta('c360_rate_limited_requests_total', { limiter: 'principal' })).toBe(1);
    expect(delta('c360_graphql_requests_total', { principal_kind: 'apiKey', outcome: 'rate_limited' })).toBe(1);
  });
});

describe('privacy and audit', () => {
  it('counts each personal field released, masked, hashed or withheld, by purpose and class, as extensions.privacy lists them', async () => {
    let listed: Array<{ piiClass: string; decision: string; reason: string }> = [];
    const { delta } = await around(async () => {
      const response = await graphql(gw.url, CUSTOMER_QUERY, { variables: { id: DEMO_CUSTOMERS.consent.id }, purpose: 'marketing', apiKey: 'c360_demo_marketing' });
      listed = (response.body.extensions?.privacy as { fields: typeof listed }).fields;
    });
    // The marketing policy: CONTACT allowed, IDENTIFIER hashed, DEMOGRAPHIC masked, FINANCIAL denied.
    expect(delta('c360_privacy_fields_total', { purpose: 'MARKETING', pii_class: 'CONTACT', decision: 'released', reason: 'none' })).toBe(2);
    for (const [decision, metric] of [['hash', 'hashed'], ['mask', 'masked'], ['deny', 'withheld']] as const) {
      const fields = listed.filter((field) => field.decision === decision);
      expect(fields.length, decision).toBeGreaterThan(0);
      for (const piiClass of new Set(fields.map((field) => field.piiClass))) {
        const labels = { purpose: 'MARKETING', pii_class: piiClass, decision: metric, ...(decision === 'deny' ? { reason: 'POLICY_DENIES' } : { reason: 'none' }) };
        expect(delta('c360_privacy_fields_total', labels), JSON.stringify(labels)).toBe(fields.filter((field) => field.piiClass === piiClass).length);
      }
    }
    expect(delta('c360_audit_writes_total', { kind: 'read', outcome: 'written' })).toBe(1);
    expect(delta('c360_audit_records_total', { kind: 'read', outcome: 'written' })).toBe(1);
  });

  it('counts fields withheld for want of consent', async () => {
    const { delta } = await around(() =>
      graphql(gw.url, CUSTOMER_QUERY, { variables: { id: DEMO_CUSTOMERS.noConsent.id }, purpose: 'marketing', apiKey: 'c360_demo_marketing' }),
    );
    expect(delta('c360_privacy_fields_total', { purpose: 'MARKETING', decision: 'withheld', reason: 'CONSENT_NOT_GRANTED' })).toBeGreaterThan(0);
    expect(delta('c360_privacy_fields_total', { purpose: 'MARKETING', decision: 'released' })).toBe(0);
  });

  it('counts a failed audit write, and the fields it took back as withheld (AUDIT_UNAVAILABLE)', async () => {
    // The earlier reads' completions (written after their responses left, src/audit/readAudit.ts) land first, so only this read's write fails.
    await gw.gateway.services.audit.settled(DEMO_CUSTOMERS.consent.id);
    audit.down = true;
    try {
      const { delta } = await around(async () => {
        const response = await graphql(gw.url, CUSTOMER_QUERY, { variables: { id: DEMO_CUSTOMERS.consent.id }, purpose: 'support' });
        expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'PII_ACCESS_DENIED', reason: 'AUDIT_UNAVAILABLE' });
      });
      expect(delta('c360_audit_writes_total', { kind: 'read', outcome: 'failed' })).toBe(1);
      expect(delta('c360_audit_records_total', { kind: 'read', outcome: 'failed' })).toBe(1);
      expect(delta('c360_privacy_fields_total', { purpose: 'SUPPORT', decision: 'withheld', reason: 'AUDIT_UNAVAILABLE' })).toBeGreaterThan(0);
      expect(delta('c360_source_errors_total', { source: 'singleview', operation: 'appendAudits', kind: 'unavailable' })).toBe(1);
      expect(delta('c360_graphql_requests_total', { operation: 'Agent', outcome: 'partial' })).toBe(1);
    } finally {
      audit.down = false;
    }
  });
});

describe('a failing source', () => {
  it('counts its errors by kind, and shows its circuit open', async () => {
    crm.fault = { kind: 'down' };
    const ask = () => graphql(gw.url, CRM_QUERY, { variables: { id: DEMO_CUSTOMERS.consent.id }, purpose: 'support' });
    const { delta, after } = await around(async () => {
      // Three attempts per call (two retries); the fifth consecutive failure opens the circuit, during the second call.
      for (let i = 0; i < 3; i++) expect((await ask()).body.errors?.[0]?.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'crm' });
    });
    expect(delta('c360_source_calls_total', { source: 'crm', operation: 'getMany' })).toBe(3);
    expect(delta('c360_source_errors_total', { source: 'crm', operation: 'getMany', kind: 'unavailable' })).toBe(1);
    expect(delta('c360_source_errors_total', { source: 'crm', operation: 'getMany', kind: 'circuit_open' })).toBe(2);
    expect(delta('c360_graphql_requests_total', { operation: 'AgentCrm', outcome: 'partial' })).toBe(3);
    expect(total(after, 'c360_source_circuit_state', { source: 'crm', guard: 'default', state: 'open' })).toBe(1);
    expect(total(after, 'c360_source_circuit_state', { source: 'crm', guard: 'default', state: 'closed' })).toBe(0);
    expect(total(after, 'c360_source_circuit_state', { source: 'singleview', guard: 'keyLookups', state: 'closed' })).toBe(1);
  });
});

interface DashboardPanel {
  readonly type: string;
  readonly title: string;
  readonly targets?: ReadonlyArray<{ readonly expr: string; readonly legendFormat?: string }>;
}
const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'c360-dashboard.json'), 'utf8')) as { panels: DashboardPanel[] };
const dashboardExpressions = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: panel.title, expr: target.expr })));
const rules = (parseYaml(readFileSync(join(ROOT, 'deploy', 'prometheus', 'c360-rules.yaml'), 'utf8')) as {
  groups: Array<{ rules: Array<{ alert: string; expr: string; annotations: { runbook: string } }> }>;
}).groups.flatMap((group) => group.rules);

/** Each selector of each expression reads a series the gateway exports (after the requests above: with samples), by labels it has. */
function unknownSeries(expressions: ReadonlyArray<{ where: string; expr: string }>, exposition: Exposition): string[] {
  const exported = exportedNames(exposition);
  const problems: string[] = [];
  for (const { where, expr } of expressions) {
    // Grafana's own variable, a duration when the query runs.
    for (const selector of selectorsOf(parsePromQL(expr.replaceAll('$__rate_interval', '5m')))) {
      if (!exported.has(selector.name)) {
        problems.push(`${where}: ${selector.name} is not exported`);
        continue;
      }
      const samples = exposition.samples.filter((sample) => sample.name === selector.name);
      if (samples.length === 0) problems.push(`${where}: ${selector.name} has no samples`);
      const labels = new Set(samples.flatMap((sample) => Object.keys(sample.labels)));
      for (const matcher of selector.matchers) if (!labels.has(matcher.label)) problems.push(`${where}: ${selector.name} has no label ${matcher.label}`);
    }
  }
  return problems;
}

describe('the Grafana dashboard and the Prometheus alert rules', () => {
  it('the dashboard reads only series the gateway exports, by labels they have', async () => {
    expect(dashboardExpressions.length).toBeGreaterThan(15);
    expect(unknownSeries(dashboardExpressions, await scrape(metricsUrl))).toEqual([]);
  });

  it('the dashboard shows every c360 metric the gateway exports, and the process metrics', async () => {
    const read = new Set(dashboardExpressions.flatMap(({ expr }) => selectorsOf(parsePromQL(expr.replaceAll('$__rate_interval', '5m'))).map((s) => s.name)));
    const families = [...(await scrape(metricsUrl)).families.entries()];
    const own = families.filter(([name]) => name.startsWith('c360_'));
    const shown = (name: string, type: string) => (type === 'histogram' ? ['_bucket', '_sum', '_count'].some((suffix) => read.has(name + suffix)) : read.has(name));
    expect(own.filter(([name, type]) => !shown(name, type)).map(([name]) => name)).toEqual([]);
    for (const name of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) expect(read.has(name), name).toBe(true);
  });

  it('the alert rules read only exported series, and each names its section of docs/operations.md', async () => {
    expect(rules.map((rule) => rule.alert)).toEqual(expect.arrayContaining(['C360SourceErrorRatioHigh', 'C360AuditWriteFailures', 'C360LatencyP99High', 'C360RequestsShed']));
    expect(unknownSeries(rules.map((rule) => ({ where: rule.alert, expr: rule.expr })), await scrape(metricsUrl))).toEqual([]);
    const headings = new Set(readFileSync(join(ROOT, 'docs', 'operations.md'), 'utf8').split('\n').filter((line) => line.startsWith('#')).map((line) => line.replace(/^#+ /, '').trim().toLowerCase()));
    for (const rule of rules) {
      expect(rule.annotations.runbook).toBe(`docs/operations.md#${rule.alert.toLowerCase()}`);
      expect(headings.has(rule.alert.toLowerCase()), `docs/operations.md has no section ${rule.alert}`).toBe(true);
    }
  });
});

describe('what the metrics never hold', () => {
  it('no personal value, customer id or key in any label or line, and only bounded label values', async () => {
    const exposition = await scrape(metricsUrl);
    const data = testDemoData();
    const personal = data.customers.flatMap((customer) => [
      customer.id,
      customer.profile.email,
      customer.profile.phone,
      ...customer.identities.map((identity) => identity.value),
    ]);
    const names = data.customers.flatMap((customer) => [customer.profile.firstName, customer.profile.lastName]);
    const secrets = [...DEMO_KEYS.map((key) => key.key), limited.key, limited.record.keyId];
    for (const value of [...personal, ...secrets].filter((v): v is string => typeof v === 'string' && v.length > 0)) {
      expect(exposition.text.includes(value), 'a personal value or key is in /metrics').toBe(false);
    }
    const labelValues = new Set(exposition.samples.flatMap((sample) => Object.values(sample.labels)));
    for (const name of names.filter((n): n is string => typeof n === 'string')) expect(labelValues.has(name), 'a name is a label value').toBe(false);
    // Every label of the gateway's own series is from a fixed set, or an operation name the requests above chose.
    const bounded: Record<string, RegExp> = {
      // The names the requests above gave their operations, or the fixed ones.
      operation: /^(Agent|AgentCrm|Segments|anonymous|unresolved|other)$/,
      principal_kind: /^(apiKey|customer|agent|none)$/,
      outcome: /^(ok|partial|failed|rejected|rate_limited|shed|written)$/,
      source: /^(singleview|crm|loyalty|resolution)$/,
      kind: /^(timeout|unavailable|circuit_open|overloaded|malformed_payload|rejected|read|change|completion)$/,
      purpose: /^(SUPPORT|MARKETING|ANALYTICS|PERSONALIZATION|FRAUD|SELF_SERVICE|none)$/,
      decision: /^(released|masked|hashed|withheld)$/,
      limiter: /^(principal|auth_failures)$/,
    };
    // A source's `operation` is its port's method: getCustomers, appendAudits, canonicalIds, …
    const portMethod = /^[a-z]+(?:[A-Z][a-z]+)+$/;
    for (const sample of exposition.samples.filter((s) => s.name.startsWith('c360_'))) {
      for (const [label, value] of Object.entries(sample.labels)) {
        const rule = label === 'operation' && sample.name.startsWith('c360_source_') ? portMethod : bounded[label];
        if (rule) expect(value, `${sample.name} ${label}`).toMatch(rule);
      }
    }
  });
});

describe('a draining gateway', () => {
  it('counts requests answered 503 while it drains as shed, and serves /metrics until it has closed', async () => {
    const before = await scrape(metricsUrl);
    const closing = gw.gateway.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const response = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'c360_demo_support' }, body: '{"query":"{ segments { id } }"}' });
    expect(response.status).toBe(503);
    const after = await scrape(metricsUrl);
    expect(total(after, 'c360_shed_requests_total', { reason: 'draining' }) - total(before, 'c360_shed_requests_total', { reason: 'draining' })).toBe(1);
    expect(total(after, 'c360_graphql_requests_total', { outcome: 'shed', principal_kind: 'none' }) - total(before, 'c360_graphql_requests_total', { outcome: 'shed', principal_kind: 'none' })).toBe(1);
    await closing;
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
  });
});
