import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suggestionId } from '../../src/identity/suggestions.js';
import { BROWSER_GATEWAY_ENV, BROWSER_TEST_TIMEOUT_MS, PATIENT, browserSkipReason, launchChromium, openPage } from '../support/browser.js';
import { seriousAccessibilityViolations, signIn } from '../support/consolePage.js';
import { graphql, startTestGateway } from '../support/gateway.js';
import type { TestGateway } from '../support/gateway.js';
import { expectNoPersonalDataLeaks } from '../support/pageChecks.js';
import { ADMIN_KEY, identify } from '../support/writes.js';

const skipReason = browserSkipReason();
if (skipReason) console.warn(`test/browser/console-review.test.ts: ${skipReason}`);

/** `npm run screenshots` sets this: docs/console.md's picture of the review comes from this test. */
const SCREENSHOTS = process.env.C360_SCREENSHOTS === '1';
const IMAGES = fileURLToPath(new URL('../../docs/img/', import.meta.url));

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(IMAGES, { recursive: true });
  await page.screenshot({ path: `${IMAGES}${name}`, fullPage: true });
}

interface Person {
  readonly email: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly birthDate: string;
}

/** One person signed up twice (online scoring suggests the pair): ids, suggestion id and every value shown. */
async function twice(first: Person, second: Person) {
  const a = (await identify(gw.url, [{ type: 'EMAIL', value: first.email }], { firstName: first.firstName, lastName: first.lastName, birthDate: first.birthDate })).customer.id;
  const b = (await identify(gw.url, [{ type: 'EMAIL', value: second.email }], { firstName: second.firstName, lastName: second.lastName, birthDate: second.birthDate })).customer.id;
  return { a, b, id: suggestionId([a, b]), values: [first, second].flatMap((p) => [p.email, p.firstName, p.lastName, p.birthDate]) };
}

async function openQueue(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Show open suggestions' }).click();
  await expect.poll(() => page.locator('#review-list-status').textContent(), PATIENT).toMatch(/open suggestions?\.$/);
}

async function compared(page: Page, side: 0 | 1, attribute: string) {
  const cell = page.locator(`#review-detail [data-compare="${side}.${attribute}"]`);
  return { text: (await cell.textContent())?.trim() ?? null, privacy: await cell.getAttribute('data-privacy') };
}

let gw: TestGateway;
let browser: Browser;

describe.skipIf(skipReason !== undefined)('merge review in the console, headless Chromium', { timeout: BROWSER_TEST_TIMEOUT_MS }, () => {
  beforeAll(async () => {
    [gw, browser] = await Promise.all([startTestGateway({ ...BROWSER_GATEWAY_ENV, C360_DEMO_CUSTOMERS: '40' }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('an agent sees the open suggestions, compares the two side by side with weight bars, rejects one with a reason and accepts another', async () => {
    const kept = await twice(
      { email: 'm.okafor@example.org', firstName: 'Miriam', lastName: 'Okafor', birthDate: '1982-11-09' },
      { email: 'miriam.o@store.example', firstName: 'Miriam', lastName: 'Okafur', birthDate: '1982-11-09' },
    );
    const merged = await twice(
      { email: 'tbrandt@example.org', firstName: 'Tobias', lastName: 'Brandt', birthDate: '1975-04-17' },
      { email: 'tobias.b@store.example', firstName: 'Tobias', lastName: 'Brand', birthDate: '1975-04-17' },
    );
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await signIn(page, ADMIN_KEY, 'SUPPORT');
    await openQueue(page);
    const queued = await page.locator('[data-review]').evaluateAll((buttons) => buttons.map((button) => button.getAttribute('data-review')));
    expect(queued.sort()).toEqual([kept.id, merged.id].sort());

    await page.locator(`[data-review="${kept.id}"]`).click();
    await page.locator(`#review-detail[data-suggestion-id="${kept.id}"]`).waitFor({ timeout: PATIENT.timeout });
    // Side by side, the two customers' values as the purpose releases them, and how each attribute compared.
    const first = kept.a < kept.b ? 0 : 1;
    expect(await compared(page, first as 0 | 1, 'lastName')).toEqual({ text: 'Okafor', privacy: 'allow' });
    expect(await compared(page, (1 - first) as 0 | 1, 'lastName')).toEqual({ text: 'Okafur', privacy: 'allow' });
    expect(await page.locator('#review-detail [data-level="lastName"]').textContent()).toBe('one edit apart');
    expect(await page.locator('#review-detail [data-level="birthDate"]').textContent()).toBe('exact');
    // The weight is drawn: a bar for, proportional to the largest weight.
    const bars = await page.locator('#review-detail [data-weight] .bar').evaluateAll((elements) =>
      elements.map((bar) => ({ attribute: bar.closest('[data-weight]')!.getAttribute('data-weight'), width: bar.getBoundingClientRect().width, kind: bar.className })),
    );
    const birth = bars.find((bar) => bar.attribute === 'birthDate')!;
    expect(birth.kind).toBe('bar bar-for');
    expect(birth.width).toBeGreaterThan(0);
    expect(bars.find((bar) => bar.attribute === 'postcode')!.width).toBe(0);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'console-review.png');

    // Rejecting needs a reason.
    await page.getByRole('button', { name: 'Reject' }).click();
    expect(await page.locator('#review-status').textContent()).toBe('Give a reason to reject.');
    await page.getByLabel('Reason to reject').fill('siblings: checked with the customer');
    await page.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => page.locator('#review-list-status').textContent(), PATIENT).toBe('Rejected: the two stay apart and are not suggested again. 1 open suggestion.');

    await page.locator(`[data-review="${merged.id}"]`).click();
    await page.locator(`#review-detail[data-suggestion-id="${merged.id}"]`).waitFor({ timeout: PATIENT.timeout });
    await page.getByRole('button', { name: 'Accept: merge the two' }).click();
    await expect.poll(() => page.locator('#review-list-status').textContent(), PATIENT).toMatch(/^Accepted: the two are now customer cus_\w+\. An unmerge undoes it\. 0 open suggestions\.$/);
    expect(await page.locator('#review-empty').textContent()).toBe('No open merge suggestions.');
    await expectNoPersonalDataLeaks(record, gw.url, [...kept.values, ...merged.values]);

    // What the console did is what the gateway holds.
    const statuses = await graphql<{ r: { edges: Array<{ node: { id: string } }> }; a: { edges: Array<{ node: { id: string } }> } }>(
      gw.url,
      'query { r: mergeSuggestions(status: REJECTED) { edges { node { id } } } a: mergeSuggestions(status: ACCEPTED) { edges { node { id } } } }',
      { apiKey: ADMIN_KEY },
    );
    expect(statuses.body.data!.r.edges.map((edge) => edge.node.id)).toContain(kept.id);
    expect(statuses.body.data!.a.edges.map((edge) => edge.node.id)).toContain(merged.id);
  });

  it('under a purpose that does not release them, the values and the evidence are withheld and say why; without identity:write there is nothing to press', async () => {
    const pair = await twice(
      { email: 'h.lindgren@example.org', firstName: 'Hedda', lastName: 'Lindgren', birthDate: '1990-06-30' },
      { email: 'hedda@store.example', firstName: 'Hedda', lastName: 'Lindgrem', birthDate: '1990-06-30' },
    );
    const record = await openPage(browser, `${gw.url}/console`);
    const { page } = record;
    await signIn(page, ADMIN_KEY, 'MARKETING');
    await openQueue(page);
    await page.locator(`[data-review="${pair.id}"]`).click();
    await page.locator(`#review-detail[data-suggestion-id="${pair.id}"]`).waitFor({ timeout: PATIENT.timeout });
    expect(await page.locator('#review-detail .note-warning').textContent()).toContain('The evidence is withheld for this purpose');
    for (const side of [0, 1] as const) {
      expect(await compared(page, side, 'lastName')).toEqual({ text: expect.stringContaining('Withheld') as unknown as string, privacy: 'deny' });
    }
    expect(await page.locator('#review-detail [data-level="lastName"]').textContent()).toBe('withheld for this purpose');
    await expectNoPersonalDataLeaks(record, gw.url, pair.values);
    expect(await page.locator('#review-detail').textContent()).not.toMatch(/Hedda|Lindgre/);

    const support = await openPage(browser, `${gw.url}/console`);
    await signIn(support.page, 'c360_demo_support', 'SUPPORT');
    await openQueue(support.page);
    await support.page.locator(`[data-review="${pair.id}"]`).click();
    await support.page.locator(`#review-detail[data-suggestion-id="${pair.id}"]`).waitFor({ timeout: PATIENT.timeout });
    expect(await compared(support.page, 0, 'firstName')).toEqual({ text: 'Hedda', privacy: 'allow' });
    expect(await support.page.locator('#review-detail .decision .note').textContent()).toBe('Deciding needs the scope identity:write, which this key does not have.');
    expect(await support.page.getByRole('button', { name: 'Accept: merge the two' }).count()).toBe(0);
  });
});
