import { createHash } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../../src/embedded/demoData.js';
import { BROWSER_GATEWAY_ENV, BROWSER_TEST_TIMEOUT_MS, browserSkipReason, launchChromium, openPage } from '../support/browser.js';
import { eventIds, field, search, seriousAccessibilityViolations, signIn, waitForCustomer } from '../support/consolePage.js';
import { demoCustomer } from '../support/demo.js';
import { startTestGateway } from '../support/gateway.js';
import type { TestGateway } from '../support/gateway.js';
import { expectNoPersonalDataLeaks } from '../support/pageChecks.js';
import { applyFixturePolicy } from '../support/privacyFixture.js';
import type { FixturePolicy } from '../support/privacyFixture.js';

/**
 * The console's rendering of withheld, masked and hashed fields, against
 * real read-path responses reshaped by the privacy contract (see
 * test/support/privacyFixture.ts). The support key is used so that the
 * gateway itself releases everything and only the contract's reshaping
 * decides; console.test.ts covers the same pages on the real privacy layer.
 */
const skipReason = browserSkipReason();
if (skipReason) console.warn(`test/browser/console-privacy.test.ts: ${skipReason}`);

const CONSENT_DENIED: FixturePolicy = {
  purpose: 'marketing',
  denyReason: 'CONSENT_NOT_GRANTED',
  actions: { CONTACT: 'deny', IDENTIFIER: 'deny', DEMOGRAPHIC: 'deny', LOCATION: 'deny', FINANCIAL: 'deny', BEHAVIORAL: 'deny' },
};
/** For a consent-bound purpose the customer refused: nothing about them but the id. */
/** The default policy's marketing row (docs/privacy.md, config/policy.json) for a customer who granted marketing consent. */
const MARKETING_GRANTED: FixturePolicy = {
  purpose: 'marketing',
  denyReason: 'POLICY_DENIES',
  actions: { CONTACT: 'allow', IDENTIFIER: 'hash', DEMOGRAPHIC: 'mask', LOCATION: 'mask', FINANCIAL: 'deny', BEHAVIORAL: 'allow' },
};

async function reshapeCustomerReads(page: Page, policy: FixturePolicy): Promise<void> {
  await page.route('**/graphql', async (route) => {
    const response = await route.fetch();
    const operation = (JSON.parse(route.request().postData() ?? '{}') as { operationName?: string }).operationName ?? '';
    const body = (await response.json()) as Parameters<typeof applyFixturePolicy>[0];
    const reshaped = ['ConsoleFindCustomer', 'ConsoleCustomer', 'ConsoleEvents'].includes(operation) ? applyFixturePolicy(body, policy) : body;
    await route.fulfill({ response, json: reshaped });
  });
}

async function marks(page: Page) {
  return page
    .locator('article.customer [data-privacy]')
    .evaluateAll((elements) => elements.map((e) => ({ field: e.getAttribute('data-field'), privacy: e.getAttribute('data-privacy'), reason: e.getAttribute('data-reason') })));
}

describe.skipIf(skipReason !== undefined)('console: withheld, masked and hashed fields (privacy contract)', { timeout: BROWSER_TEST_TIMEOUT_MS }, () => {
  let gw: TestGateway;
  let browser: Browser;
  beforeAll(async () => {
    [gw, browser] = await Promise.all([startTestGateway(BROWSER_GATEWAY_ENV), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('marks every withheld field and every withheld part with its reason: nothing of the customer but the id', async () => {
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await reshapeCustomerReads(page, CONSENT_DENIED);
    await signIn(page, 'c360_demo_support', 'SUPPORT');
    await search(page, DEMO_CUSTOMERS.noConsent.email);
    const id = DEMO_CUSTOMERS.noConsent.id;
    await waitForCustomer(page, id);

    const { customer } = demoCustomer(id);
    // In page order: the header, then the cards (profile, traits, identities, consents and their history, segments, loyalty, CRM, timeline).
    const withheld = [
      'createdAt',
      'updatedAt',
      ...['firstName', 'lastName', 'email', 'phone', 'birthDate', 'address'].map((name) => `profile.${name}`),
      'traits',
      'identities',
      'consents',
      'consentHistory',
      'segments',
      'loyalty',
      'crm',
      'events',
    ];
    const shown = await marks(page);
    expect(shown.filter((mark) => mark.privacy !== 'absent')).toEqual(withheld.map((path) => ({ field: path, privacy: 'deny', reason: 'CONSENT_NOT_GRANTED' })));
    expect(await page.locator('#section-loyalty').textContent()).toBe('LoyaltyWithheld the customer has not consented to this purpose (CONSENT_NOT_GRANTED)');
    // A withheld timeline has no events and nothing to page.
    expect({ events: await eventIds(page), more: await page.locator('#load-more').count() }).toEqual({ events: [], more: 0 });
    expect(await field(page, 'profile.email')).toEqual({
      text: 'Withheld the customer has not consented to this purpose (CONSENT_NOT_GRANTED)',
      privacy: 'deny',
      reason: 'CONSENT_NOT_GRANTED',
    });
    expect(await page.locator('#customer-heading').textContent()).toBe('Customer (name withheld or not on record)');
    expect(await page.locator('#privacy-notice').textContent()).toBe(
      `For the purpose “Support”, the gateway withheld or transformed ${withheld.length} fields; each is marked below with its reason.`,
    );
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await expectNoPersonalDataLeaks(record, gw.url, [customer.profile.email!, customer.profile.phone!]);
    await record.context.close();
  });

  it('shows masked and hashed values as such, and a field the policy denies with that reason', async () => {
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await reshapeCustomerReads(page, MARKETING_GRANTED);
    await signIn(page, 'c360_demo_support', 'SUPPORT');
    await search(page, DEMO_CUSTOMERS.consent.email);
    const id = DEMO_CUSTOMERS.consent.id;
    await waitForCustomer(page, id);
    const { customer } = demoCustomer(id);

    expect(await field(page, 'profile.email')).toEqual({ text: customer.profile.email, privacy: 'allow', reason: null });
    expect(await field(page, 'profile.birthDate')).toEqual({
      text: `${customer.profile.birthDate!.slice(0, 1)}*** Masked the privacy policy masks this kind of data for the chosen purpose (POLICY_MASKS)`,
      privacy: 'mask',
      reason: 'POLICY_MASKS',
    });
    const email = customer.identities.findIndex((identity) => identity.type === 'EMAIL');
    const hash = createHash('sha256').update(customer.identities[email]!.value).digest('hex');
    expect(await field(page, `identities.${email}.value`)).toEqual({
      text: `${hash} Hashed the privacy policy hashes this kind of data for the chosen purpose (POLICY_HASHES)`,
      privacy: 'hash',
      reason: 'POLICY_HASHES',
    });
    expect(await field(page, 'traits.lifetimeValue')).toEqual({
      text: 'Withheld the privacy policy does not release this kind of data for the chosen purpose (POLICY_DENIES)',
      privacy: 'deny',
      reason: 'POLICY_DENIES',
    });
    // The loyalty account is FINANCIAL: withheld as a whole, where its figures would be.
    expect(await field(page, 'loyalty')).toEqual({
      text: 'Withheld the privacy policy does not release this kind of data for the chosen purpose (POLICY_DENIES)',
      privacy: 'deny',
      reason: 'POLICY_DENIES',
    });
    expect(await field(page, 'traits.orderCount')).toEqual({ text: String(customer.traits.orderCount), privacy: 'allow', reason: null });
    expect(await field(page, 'crm.openCases.0.id')).toMatchObject({ privacy: 'hash', reason: 'POLICY_HASHES' });
    expect(await page.locator('#customer-heading').textContent()).toBe(`${customer.profile.firstName} ${customer.profile.lastName}`);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await record.context.close();
  });
});
