import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../../src/embedded/demoData.js';
import { loadSegmentFile } from '../../src/segments/definitions.js';
import { BROWSER_GATEWAY_ENV, BROWSER_TEST_TIMEOUT_MS, PATIENT, browserSkipReason, launchChromium, openPage } from '../support/browser.js';
import { eventIds, field, search, seriousAccessibilityViolations, signIn, waitForCustomer } from '../support/consolePage.js';
import { demoCustomer, testDemoData } from '../support/demo.js';
import { graphql, startTestGateway } from '../support/gateway.js';
import type { TestGateway } from '../support/gateway.js';
import { LoyaltyTestServer } from '../support/loyaltyServer.js';
import { expectNoPersonalDataLeaks } from '../support/pageChecks.js';
import { TEST_JWT_SECRET, signToken } from '../support/tokens.js';

const skipReason = browserSkipReason();
if (skipReason) console.warn(`test/browser/console.test.ts: ${skipReason}`);

/** `npm run screenshots` sets this: the README's pictures come from these tests. */
const SCREENSHOTS = process.env.C360_SCREENSHOTS === '1';
const IMAGES = fileURLToPath(new URL('../../docs/img/', import.meta.url));
const PAGE_SIZE = 10;

function personalValuesOf(id: string): string[] {
  const { profile } = demoCustomer(id).customer;
  return [profile.email, profile.phone, profile.firstName, profile.lastName].filter((value): value is string => Boolean(value));
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(IMAGES, { recursive: true });
  await page.screenshot({ path: `${IMAGES}${name}`, fullPage: true });
}

describe.skipIf(skipReason !== undefined)('console in headless Chromium', { timeout: BROWSER_TEST_TIMEOUT_MS }, () => {
  let gw: TestGateway;
  let browser: Browser;
  beforeAll(async () => {
    // Agent tokens are verified with the test HS256 secret.
    [gw, browser] = await Promise.all([startTestGateway({ ...BROWSER_GATEWAY_ENV, C360_JWT_SECRET: TEST_JWT_SECRET }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('a support agent signs in, finds demo.customer@example.com, sees the whole record and pages the timeline by keyboard', async () => {
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await signIn(page, 'c360_demo_support', 'SUPPORT');
    await search(page, DEMO_CUSTOMERS.consent.email);
    const id = DEMO_CUSTOMERS.consent.id;
    await waitForCustomer(page, id);

    const { customer, events, crm, loyalty } = demoCustomer(id);
    const { profile } = customer;
    expect(await page.locator('#customer-heading').textContent()).toBe(`${profile.firstName} ${profile.lastName}`);
    expect(await page.locator('#search-status').textContent()).toBe('Customer found.');
    expect(await field(page, 'profile.email')).toEqual({ text: profile.email, privacy: 'allow', reason: null });
    expect(await field(page, 'profile.phone')).toEqual({ text: profile.phone, privacy: 'allow', reason: null });
    expect(await field(page, 'loyalty.tier')).toMatchObject({ text: loyalty!.tier });
    expect(await field(page, 'loyalty.memberId')).toEqual({ text: loyalty!.memberId, privacy: 'allow', reason: null });
    expect(await page.locator('#section-crm tbody tr td:first-child').allTextContents()).toEqual(
      crm!.cases.filter((c) => c.status !== 'closed').map((c) => c.id),
    );
    const consents = await page.locator('[data-consent]').evaluateAll((cells) => cells.map((cell) => [cell.getAttribute('data-consent'), cell.textContent]));
    expect(consents).toEqual(customer.consents.map((c) => [c.purpose, c.status === 'GRANTED' ? 'Granted' : 'Denied']));
    const known = new Set(loadSegmentFile().segments.map((s) => s.id));
    const segmentIds = await page.locator('[data-segment-id]').evaluateAll((items) => items.map((item) => item.getAttribute('data-segment-id')));
    expect(segmentIds).toEqual(customer.segments.filter((m) => known.has(m.segmentId)).map((m) => m.segmentId));
    expect(await page.locator('#partial-notice').count()).toBe(0);

    // The timeline starts with the latest event: what a caller is most likely ringing about.
    const newest = [...events].reverse();
    expect(await eventIds(page)).toEqual(newest.slice(0, PAGE_SIZE).map((e) => e.id));
    await page.locator('#load-more').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => eventIds(page), PATIENT).toEqual(newest.slice(0, 2 * PAGE_SIZE).map((e) => e.id));
    // Focus moves to the first event of the new page, so the keyboard user carries on from there.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-event-id'))).toBe(newest[PAGE_SIZE]!.id);

    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await page.locator('#customer-heading').focus();
    await screenshot(page, 'console-customer.png');

    // The search went in a POST body, never a URL.
    const searches = record.requests.filter((r) => r.postData?.includes('ConsoleFindCustomer'));
    expect(searches.map((r) => [r.method, new URL(r.url).pathname, JSON.parse(r.postData!).variables.value])).toContainEqual([
      'POST',
      '/graphql',
      DEMO_CUSTOMERS.consent.email,
    ]);
    await expectNoPersonalDataLeaks(record, gw.url, personalValuesOf(id));
    await record.context.close();
  });

  it('finds a customer by a phone number as written, by customer id, and says when no customer matches', async () => {
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await signIn(page, 'c360_demo_support', 'SUPPORT');
    const noConsent = demoCustomer(DEMO_CUSTOMERS.noConsent.id).customer;
    const phone = noConsent.profile.phone!; // +1AAA555LLLL
    await search(page, `(${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`);
    await waitForCustomer(page, noConsent.id);

    await search(page, 'cus_000003');
    await waitForCustomer(page, 'cus_000003');
    expect(await field(page, 'id')).toMatchObject({ text: 'cus_000003' });

    await search(page, 'nobody@example.com');
    expect(await page.locator('#search-status').textContent()).toBe('No customer holds this email.');
    expect(await page.locator('article.customer').count()).toBe(0);

    await search(page, 'not a phone', 'PHONE');
    expect(await page.locator('#search-status').textContent()).toBe('value is not a valid phone number (default region US) for identity type PHONE.');
    expect(await page.locator('#search-status').getAttribute('data-tone')).toBe('error');
    await expectNoPersonalDataLeaks(record, gw.url, personalValuesOf(noConsent.id));
    await record.context.close();
  });

  it('refuses a key the gateway does not accept and keeps nothing of it', async () => {
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await page.getByLabel('API key or agent token').fill('c360_nosuchkey');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#sign-in-status').textContent(), PATIENT).toBe('Invalid API key: unknown API key.');
    await page.getByLabel('API key or agent token').fill('hello');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#sign-in-status').textContent(), PATIENT).toBe('That is neither an API key (c360_…) nor an agent token.');
    expect(await page.locator('#workspace').isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await record.context.close();
  });

  it('keeps the key for the tab only: a reload stays signed in, signing out forgets it', async () => {
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await signIn(page, 'c360_demo_support');
    await page.reload();
    await page.locator('#workspace').waitFor({ state: 'visible' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.locator('#sign-in').isVisible()).toBe(true);
    expect(await page.evaluate(() => ({ session: sessionStorage.length, local: localStorage.length }))).toEqual({ session: 0, local: 0 });
    await record.context.close();
  });

  // Needs the privacy issue (extensions.privacy, PII_ACCESS_DENIED, Query.viewer, scopes).
  it('a marketing agent sees demo.noconsent@example.com with its contact fields withheld, each with its reason', async () => {
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await signIn(page, 'c360_demo_marketing');
    const purposes = await page.getByLabel('Purpose', { exact: true }).locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));
    expect(purposes).toEqual(['MARKETING', 'PERSONALIZATION']);
    await search(page, DEMO_CUSTOMERS.noConsent.email);
    const id = DEMO_CUSTOMERS.noConsent.id;
    await waitForCustomer(page, id);

    for (const path of ['profile.firstName', 'profile.lastName', 'profile.email', 'profile.phone']) {
      expect(await field(page, path)).toEqual({
        text: 'Withheld the customer has not consented to this purpose (CONSENT_NOT_GRANTED)',
        privacy: 'deny',
        reason: 'CONSENT_NOT_GRANTED',
      });
    }
    // Not only contact data: the parts of the customer are withheld too, each with its reason.
    const consentMissing = { text: 'Withheld the customer has not consented to this purpose (CONSENT_NOT_GRANTED)', privacy: 'deny', reason: 'CONSENT_NOT_GRANTED' };
    for (const path of ['identities', 'segments', 'crm', 'consents', 'consentHistory', 'traits']) {
      expect({ path, ...(await field(page, path)) }).toEqual({ path, ...consentMissing });
    }
    expect(await field(page, 'loyalty')).toEqual({
      text: 'Withheld the privacy policy does not release this kind of data for the chosen purpose (POLICY_DENIES)',
      privacy: 'deny',
      reason: 'POLICY_DENIES',
    });
    expect(await page.locator('#customer-heading').textContent()).toBe('Customer (name withheld or not on record)');
    expect(await page.locator('#privacy-notice').textContent()).toMatch(/^For the purpose “Marketing”, the gateway withheld or transformed \d+ fields/);
    // The marketing key has no events:read and no consent:write: the page says so and offers no form.
    expect(await page.locator('#section-events').textContent()).toContain('Not shown: this key lacks the events:read scope.');
    expect(await page.locator('#section-consents form').count()).toBe(0);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'console-withheld.png');
    await expectNoPersonalDataLeaks(record, gw.url, personalValuesOf(id));
    await record.context.close();
  });

  // Needs the write path (setConsent, consentHistory) and the privacy issue (viewer scopes).
  it('an agent with consent:write records a consent change and the page shows it from the next read', async () => {
    const id = 'cus_000007';
    const before = demoCustomer(id).customer.consents.find((c) => c.purpose === 'MARKETING')!.status;
    const after = before === 'GRANTED' ? 'DENIED' : 'GRANTED';
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await signIn(page, 'c360_demo_admin', 'SUPPORT');
    await search(page, id, 'CUSTOMER_ID');
    await waitForCustomer(page, id);
    const form = page.getByRole('group', { name: 'Record a consent change' });
    await form.getByLabel('Purpose').selectOption('MARKETING');
    await form.getByLabel('Consent').selectOption(after);
    await form.getByLabel('Channel (optional)').fill('phone');
    await page.getByRole('button', { name: 'Record consent change' }).click();
    const label = after === 'GRANTED' ? 'Granted' : 'Denied';
    // The form's own status shows a refusal; on success the page is read again and says so.
    const outcome = async () => `${(await page.locator('#consent-status').textContent()) ?? ''} | ${await page.locator('#search-status').textContent()}`;
    await expect.poll(outcome, PATIENT).toBe(' | Consent change recorded; the page shows the customer as read again.');
    expect(await page.locator('[data-consent="MARKETING"]').textContent()).toBe(label);
    const newest = await page.locator('#consent-history tbody tr').first().locator('td').allTextContents();
    expect(newest.slice(1, 5)).toEqual(['Marketing', label, 'phone', 'c360-console']);

    const read = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { consents { purpose status channel source } } }', {
      variables: { id },
      purpose: 'support',
    });
    expect((read.body.data as { customer: { consents: unknown[] } }).customer.consents).toContainEqual({
      purpose: 'MARKETING',
      status: after,
      channel: 'phone',
      source: 'c360-console',
    });
    await record.context.close();
  });

  /** The customer's audit trail as the admin key reads it: who read, why, in which operation, whose data. */
  async function auditRecordsOf(customerId: string): Promise<unknown[]> {
    const trail = await graphql<{ auditTrail: { edges: { node: unknown }[] } }>(
      gw.url,
      'query($id: ID!) { auditTrail(customerId: $id, first: 50) { edges { node { principal purpose operation customerIds } } } }',
      { variables: { id: customerId }, apiKey: 'c360_demo_admin' },
    );
    return trail.body.data?.auditTrail.edges.map((edge) => edge.node) ?? [];
  }

  it('a call-centre agent signs in with an agent token: its purposes only, the customer found, the reads audited as the agent', async () => {
    // Purposes beyond support and fraud are dropped from an agent token (docs/security.md).
    const token = await signToken({ sub: 'agent-42', role: 'agent', name: 'Agent Forty-Two', purposes: ['support', 'marketing'] });
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await signIn(page, token);
    expect({
      principal: await page.locator('#principal').textContent(),
      purposes: await page.getByLabel('Purpose', { exact: true }).locator('option').evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value)),
    }).toEqual({ principal: 'Signed in as Agent Forty-Two', purposes: ['SUPPORT'] });
    await search(page, DEMO_CUSTOMERS.consent.email);
    await waitForCustomer(page, DEMO_CUSTOMERS.consent.id);
    expect(await field(page, 'id')).toMatchObject({ text: DEMO_CUSTOMERS.consent.id });
    // The token lives in session storage for the tab, never in the URL or local storage.
    expect(await page.evaluate(() => ({ local: localStorage.length, url: location.href }))).toEqual({ local: 0, url: `${gw.url}/console` });
    await expectNoPersonalDataLeaks(record, gw.url, personalValuesOf(DEMO_CUSTOMERS.consent.id));
    await record.context.close();
    expect(await auditRecordsOf(DEMO_CUSTOMERS.consent.id)).toContainEqual({
      principal: 'agent:agent-42',
      purpose: 'SUPPORT',
      operation: expect.any(String),
      customerIds: [DEMO_CUSTOMERS.consent.id],
    });
  });

  // Needs the privacy issue (audit records written for each release of personal data).
  it("the console's reads are audited like any client's", async () => {
    const record = await openPage(browser, `${gw.url}/console`);
    await signIn(record.page, 'c360_demo_support', 'SUPPORT');
    await search(record.page, DEMO_CUSTOMERS.consent.email);
    await waitForCustomer(record.page, DEMO_CUSTOMERS.consent.id);
    await record.context.close();
    expect(await auditRecordsOf(DEMO_CUSTOMERS.consent.id)).toContainEqual({
      principal: expect.stringContaining('demo_support'),
      purpose: 'SUPPORT',
      operation: expect.any(String),
      customerIds: [DEMO_CUSTOMERS.consent.id],
    });
  });
});

describe.skipIf(skipReason !== undefined)('console with the loyalty source down', { timeout: BROWSER_TEST_TIMEOUT_MS }, () => {
  let gw: TestGateway;
  let browser: Browser;
  let loyalty: LoyaltyTestServer;
  beforeAll(async () => {
    loyalty = new LoyaltyTestServer(testDemoData().loyalty);
    loyalty.mode = { kind: 'status', status: 500 };
    const loyaltyUrl = await loyalty.start();
    [gw, browser] = await Promise.all([startTestGateway({ ...BROWSER_GATEWAY_ENV, C360_LOYALTY_URL: loyaltyUrl }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await loyalty?.stop();
  });

  it('shows a partial page that names the loyalty source and keeps everything else', async () => {
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await signIn(page, 'c360_demo_support', 'SUPPORT');
    await search(page, DEMO_CUSTOMERS.consent.email);
    const id = DEMO_CUSTOMERS.consent.id;
    await waitForCustomer(page, id);
    const { customer, events } = demoCustomer(id);

    expect(await page.locator('#search-status').textContent()).toBe('Customer found. Partial result: some sources did not answer.');
    const notice = page.locator('#partial-notice');
    expect(await notice.getAttribute('data-failed-sources')).toBe('loyalty');
    expect(await notice.textContent()).toBe(
      'Partial result. The loyalty source did not answer, so its part is missing below; everything else on this page is complete.',
    );
    expect(await page.locator('#section-loyalty [data-source-failed]').evaluate((el) => [el.getAttribute('data-source-failed'), el.textContent])).toEqual([
      'loyalty',
      'Unavailable: the loyalty source did not answer (SOURCE_UNAVAILABLE). The rest of the page is shown without it.',
    ]);
    expect(await field(page, 'profile.email')).toEqual({ text: customer.profile.email, privacy: 'allow', reason: null });
    expect(await eventIds(page)).toEqual([...events].reverse().slice(0, PAGE_SIZE).map((e) => e.id));
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    expect(loyalty.requests.length).toBeGreaterThan(0);
    await expectNoPersonalDataLeaks(record, gw.url, personalValuesOf(id));
    await record.context.close();
  });
});
