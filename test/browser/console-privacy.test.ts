import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CUSTOMERS } from '../../src/embedded/demoData.js';
import { BROWSER_GATEWAY_ENV, BROWSER_TEST_TIMEOUT_MS, browserSkipReason, launchChromium, openPage } from '../support/browser.js';
import { eventIds, field, search, seriousAccessibilityViolations, signIn, waitForCustomer } from '../support/consolePage.js';
import { demoCustomer } from '../support/demo.js';
import { startTestGateway } from '../support/gateway.js';
import type { TestGateway } from '../support/gateway.js';
import { expectNoPersonalDataLeaks } from '../support/pageChecks.js';

/**
 * The console's rendering of withheld, masked and hashed fields, against the
 * real privacy layer of a real gateway: the admin key (every read scope, so
 * no field is FORBIDDEN before privacy decides) under the MARKETING purpose,
 * which needs the customer's consent and masks, hashes and withholds classes
 * by the default policy (config/policy.json, docs/privacy.md).
 */
const skipReason = browserSkipReason();
if (skipReason) console.warn(`test/browser/console-privacy.test.ts: ${skipReason}`);

async function marks(page: Page) {
  return page
    .locator('article.customer [data-privacy]')
    .evaluateAll((elements) => elements.map((e) => ({ field: e.getAttribute('data-field'), privacy: e.getAttribute('data-privacy'), reason: e.getAttribute('data-reason') })));
}

describe.skipIf(skipReason !== undefined)('console: withheld, masked and hashed fields (the real privacy layer)', { timeout: BROWSER_TEST_TIMEOUT_MS }, () => {
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
    await signIn(page, 'c360_demo_admin', 'MARKETING');
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
    // The loyalty account is FINANCIAL, which the marketing policy never releases: the policy decides before consent is asked.
    const reasonOf = (path: string) => (path === 'loyalty' ? 'POLICY_DENIES' : 'CONSENT_NOT_GRANTED');
    expect(shown.filter((mark) => mark.privacy !== 'absent')).toEqual(withheld.map((path) => ({ field: path, privacy: 'deny', reason: reasonOf(path) })));
    expect(await page.locator('#section-loyalty').textContent()).toBe('LoyaltyWithheld the privacy policy does not release this kind of data for the chosen purpose (POLICY_DENIES)');
    // A withheld timeline has no events and nothing to page.
    expect({ events: await eventIds(page), more: await page.locator('#load-more').count() }).toEqual({ events: [], more: 0 });
    expect(await field(page, 'profile.email')).toEqual({
      text: 'Withheld the customer has not consented to this purpose (CONSENT_NOT_GRANTED)',
      privacy: 'deny',
      reason: 'CONSENT_NOT_GRANTED',
    });
    expect(await page.locator('#customer-heading').textContent()).toBe('Customer (name withheld or not on record)');
    expect(await page.locator('#privacy-notice').textContent()).toBe(
      `For the purpose “Marketing”, the gateway withheld or transformed ${withheld.length} fields; each is marked below with its reason.`,
    );
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await expectNoPersonalDataLeaks(record, gw.url, [customer.profile.email!, customer.profile.phone!]);
    await record.context.close();
  });

  it('shows masked and hashed values as such, and a field the policy denies with that reason', async () => {
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await signIn(page, 'c360_demo_admin', 'MARKETING');
    await search(page, DEMO_CUSTOMERS.consent.email);
    const id = DEMO_CUSTOMERS.consent.id;
    await waitForCustomer(page, id);
    const { customer } = demoCustomer(id);

    expect(await field(page, 'profile.email')).toEqual({ text: customer.profile.email, privacy: 'allow', reason: null });
    expect(await field(page, 'profile.birthDate')).toEqual({
      text: `${customer.profile.birthDate!.slice(0, 4)}-**-** Masked the privacy policy masks this kind of data for the chosen purpose (POLICY_MASKS)`,
      privacy: 'mask',
      reason: 'POLICY_MASKS',
    });
    const email = customer.identities.findIndex((identity) => identity.type === 'EMAIL');
    // A keyed pseudonym (docs/privacy.md, "Pseudonyms"): hex, never the value.
    expect(await field(page, `identities.${email}.value`)).toEqual({
      text: expect.stringMatching(/^[0-9a-f]{64} Hashed the privacy policy hashes this kind of data for the chosen purpose \(POLICY_HASHES\)$/),
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
