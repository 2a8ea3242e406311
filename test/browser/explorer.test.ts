import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../../src/embedded/demoData.js';
import { BROWSER_GATEWAY_ENV, BROWSER_TEST_TIMEOUT_MS, PATIENT, browserSkipReason, launchChromium, openPage } from '../support/browser.js';
import { demoCustomer } from '../support/demo.js';
import { startTestGateway } from '../support/gateway.js';
import type { TestGateway } from '../support/gateway.js';
import { expectNoPersonalDataLeaks } from '../support/pageChecks.js';

const skipReason = browserSkipReason();
if (skipReason) console.warn(`test/browser/explorer.test.ts: ${skipReason}`);

describe.skipIf(skipReason !== undefined)('query explorer in headless Chromium', { timeout: BROWSER_TEST_TIMEOUT_MS }, () => {
  let gw: TestGateway;
  let browser: Browser;
  beforeAll(async () => {
    [gw, browser] = await Promise.all([startTestGateway(BROWSER_GATEWAY_ENV), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('loads GraphiQL from the gateway alone, takes a key and purpose, and runs a typed query', async () => {
    const record = await openPage(browser, `${gw.url}/explorer`);
    const { page } = record;
    const sent: { headers: Record<string, string>; body: string }[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/graphql') sent.push({ headers: request.headers(), body: request.postData() ?? '' });
    });
    await page.locator('.graphiql-query-editor .monaco-editor').waitFor();

    await page.getByLabel('API key or agent token').fill('c360_demo_support');
    await page.getByLabel('Purpose').selectOption('SUPPORT');
    await page.getByRole('button', { name: 'Apply' }).click();
    // With the key, GraphiQL loads the schema by introspection (the key has schema:read).
    await expect.poll(() => sent.some((request) => request.body.includes('IntrospectionQuery')), PATIENT).toBe(true);

    const id = DEMO_CUSTOMERS.consent.id;
    await page.locator('.graphiql-query-editor .monaco-editor').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type(`query CustomerTraits { customer(id: "${id}") { id traits { orderCount } } }`);
    await page.keyboard.press('Escape'); // closes the autocomplete list, if open
    // GraphiQL names the tab after the operation once it has parsed the edit.
    await expect.poll(() => page.locator('.graphiql-tab-active').textContent(), PATIENT).toContain('CustomerTraits');
    await page.getByRole('button', { name: /Execute query/ }).click();

    const { traits } = demoCustomer(id).customer;
    // Monaco draws the response as lines of text; no value here contains a space.
    const response = page.locator('.graphiql-response .monaco-editor .view-lines');
    const shown = async () => {
      const text = ((await response.textContent()) ?? '').replace(/\s+/g, '');
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return text;
      }
    };
    await expect.poll(shown, PATIENT).toEqual({
      data: { customer: { id, traits: { orderCount: traits.orderCount } } },
      extensions: { traceId: expect.any(String), privacy: { purpose: 'SUPPORT', fields: [] } },
    });
    const run = sent.find((request) => request.body.includes('orderCount'));
    expect(run && { key: run.headers['x-api-key'], purpose: run.headers['x-c360-purpose'] }).toEqual({ key: 'c360_demo_support', purpose: 'support' });
    await expectNoPersonalDataLeaks(record, gw.url, []);
    await record.context.close();
  });

  it('shows the purpose it sends after Apply, and keeps sending it through a second Apply', async () => {
    const record = await openPage(browser, `${gw.url}/explorer`);
    const { page } = record;
    const introspections: Array<string | undefined> = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/graphql' && (request.postData() ?? '').includes('IntrospectionQuery')) {
        introspections.push(request.headers()['x-c360-purpose']);
      }
    });
    await page.locator('.graphiql-query-editor .monaco-editor').waitFor();
    const purpose = page.getByLabel('Purpose');

    await page.getByLabel('API key or agent token').fill('c360_demo_support');
    await purpose.selectOption('FRAUD');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => introspections.length, PATIENT).toBeGreaterThanOrEqual(1);
    expect({ shown: await purpose.inputValue(), sent: introspections.at(-1) }).toEqual({ shown: 'FRAUD', sent: 'fraud' });
    // The secret is cleared from the form; the purpose is not.
    expect(await page.getByLabel('API key or agent token').inputValue()).toBe('');

    const before = introspections.length;
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => introspections.length, PATIENT).toBeGreaterThan(before);
    expect({ shown: await purpose.inputValue(), sent: introspections.at(-1) }).toEqual({ shown: 'FRAUD', sent: 'fraud' });

    await purpose.selectOption('');
    const beforeNone = introspections.length;
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => introspections.length, PATIENT).toBeGreaterThan(beforeNone);
    expect({ shown: await purpose.inputValue(), sent: introspections.at(-1) }).toEqual({ shown: '', sent: undefined });
    await record.context.close();
  });

  it('shares the key the console signed in with in the same tab', async () => {
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await page.getByLabel('API key or agent token').fill('c360_demo_support');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#workspace').waitFor({ state: 'visible' });
    const introspection = page.waitForResponse((response) => response.url().endsWith('/graphql') && (response.request().postData() ?? '').includes('IntrospectionQuery'));
    await page.getByRole('link', { name: 'Query explorer' }).click();
    const answer = await introspection;
    expect(answer.status()).toBe(200);
    expect(((await answer.json()) as { data: { __schema: { queryType: { name: string } } } }).data.__schema.queryType.name).toBe('Query');
    await record.context.close();
  });
});
