import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_FILE } from '../src/privacy/policy.js';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { demoCustomer } from './support/demo.js';
import { TEST_ENV, graphql, startTestGateway } from './support/gateway.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `npm start` as an operator runs it, expected to refuse to start. */
async function startRefused(env: Record<string, string>): Promise<{ code: number | undefined; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: { ...process.env, ...TEST_ENV, ...env }, timeout: 60_000 });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code, stderr: failed.stderr ?? '' };
  }
}

describe('start-up settings of the privacy layer', () => {
  it('refuses to start with a policy file that does not cover every class, naming what is missing', async () => {
    const policy = JSON.parse(readFileSync(DEFAULT_POLICY_FILE, 'utf8')) as { purposes: { marketing: { classes: Record<string, string> } } };
    delete policy.purposes.marketing.classes.LOCATION;
    policy.purposes.marketing.classes.CONTACT = 'share';
    const file = join(mkdtempSync(join(tmpdir(), 'c360-policy-')), 'policy.json');
    writeFileSync(file, JSON.stringify(policy));
    expect(await startRefused({ C360_POLICY_FILE: file })).toEqual({
      code: 78,
      stderr: [
        `Policy file ${file} is invalid:`,
        '  purposes.marketing.classes.CONTACT: expected one of allow, mask, hash, deny',
        '  purposes.marketing.classes.LOCATION: expected one of allow, mask, hash, deny',
        'See docs/privacy.md.',
        '',
      ].join('\n'),
    });
  });

  it('refuses to switch enforcement off outside benchmark mode', async () => {
    expect(await startRefused({ C360_PRIVACY_ENFORCEMENT: 'off' })).toEqual({
      code: 78,
      stderr: 'Invalid configuration:\n  C360_PRIVACY_ENFORCEMENT: off is refused unless C360_BENCHMARK_MODE=true (benchmarks only)\nSee docs/configuration.md.\n',
    });
  });

  it('in benchmark mode with enforcement off, releases everything unaudited and says so loudly', async () => {
    const gw = await startTestGateway({ C360_PRIVACY_ENFORCEMENT: 'off', C360_BENCHMARK_MODE: 'true', C360_SOURCE_TIMEOUT_MS: '5000' });
    try {
      const id = DEMO_CUSTOMERS.noConsent.id;
      const response = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { profile { email } } }', { apiKey: 'c360_demo_marketing', variables: { id } });
      expect(response.body).toEqual({ data: { customer: { profile: { email: demoCustomer(id).customer.profile.email } } }, extensions: { traceId: expect.any(String) } });
      const trail = await graphql(gw.url, 'query($id: ID!) { auditTrail(customerId: $id) { edges { cursor } } }', { apiKey: 'c360_demo_admin', variables: { id } });
      expect(trail.body.data).toEqual({ auditTrail: { edges: [] } });
      expect(gw.logs.filter((line) => line.includes('PRIVACY ENFORCEMENT IS OFF')).map((line) => JSON.parse(line).level)).toEqual(['error']);
    } finally {
      await gw.close();
    }
  });
});
