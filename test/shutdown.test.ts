import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../src/embedded/demoData.js';
import { LoyaltyTestServer } from './support/loyaltyServer.js';
import { listeningUrl, spawnGateway } from './support/process.js';
import { graphql } from './support/gateway.js';
import { testDemoData } from './support/demo.js';

describe('SIGTERM drains requests in flight and closes sources', () => {
  let loyalty: LoyaltyTestServer;
  beforeAll(async () => {
    loyalty = new LoyaltyTestServer(testDemoData().loyalty);
    loyalty.mode = { kind: 'delay', ms: 700 };
  });
  afterAll(() => loyalty?.stop());

  it('finishes a slow request started before the signal, refuses new connections, exits 0', async () => {
    const gateway = spawnGateway({
      C360_DATA_DIR: 'memory',
      C360_PORT: '0',
      C360_DEMO_CUSTOMERS: '20',
      C360_LOYALTY_URL: await loyalty.start(),
      C360_LOYALTY_TIMEOUT_MS: '5000',
    });
    const url = await listeningUrl(gateway);
    const inFlight = graphql(url, 'query($id: ID!) { customer(id: $id) { id loyalty { tier } } }', { variables: { id: DEMO_CUSTOMERS.consent.id } });
    await new Promise((resolve) => setTimeout(resolve, 200)); // the request is now waiting on loyalty
    gateway.child.kill('SIGTERM');

    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data).toEqual({
      customer: { id: DEMO_CUSTOMERS.consent.id, loyalty: { tier: testDemoData().loyalty.find((m) => m.customerRef === DEMO_CUSTOMERS.consent.id)!.tier } },
    });
    const code = await gateway.exited;
    if (code !== 0) console.error(gateway.stdout.join('\n'), gateway.stderr.join(''));
    expect(code).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    const messages = gateway.stdout.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toEqual(expect.arrayContaining(['shutting down: draining requests', 'shut down cleanly']));
    expect(messages.indexOf('shut down cleanly')).toBeGreaterThan(messages.indexOf('shutting down: draining requests'));
  });
});
