import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { PATIENT } from './browser.js';

/** Drives the console the way an agent does: labels, buttons and the keyboard. */
export async function signIn(page: Page, key: string, purpose?: string): Promise<void> {
  await page.getByLabel('API key or agent token').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#workspace').waitFor({ state: 'visible' });
  if (purpose) await page.getByLabel('Purpose', { exact: true }).selectOption(purpose);
}

/** Types into the search box (focused after sign-in) and presses Enter; waits for the outcome. */
export async function search(page: Page, text: string, kind = 'auto'): Promise<void> {
  await page.getByLabel('Find by').selectOption(kind);
  const box = page.getByLabel('Email, phone, customer id or identifier');
  await box.focus();
  await box.fill('');
  await page.keyboard.type(text);
  // The submit handler says "Searching…" synchronously, before press() resolves.
  await page.keyboard.press('Enter');
  await expect.poll(async () => page.locator('#search-status').textContent(), PATIENT).not.toBe('Searching…');
}

export async function waitForCustomer(page: Page, id: string): Promise<void> {
  try {
    await page.locator(`article.customer[data-customer-id="${id}"]`).waitFor({ timeout: PATIENT.timeout });
  } catch {
    throw new Error(`customer ${id} is not shown; the page says: ${await page.locator('#search-status').textContent()}`);
  }
}

/** The marked-up state of one field: its text, and what the privacy layer did to it. */
export async function field(page: Page, path: string, within = 'article.customer') {
  const element = page.locator(`${within} [data-field="${path}"]`).first();
  return {
    text: (await element.textContent())?.trim() ?? null,
    privacy: await element.getAttribute('data-privacy'),
    reason: await element.getAttribute('data-reason'),
  };
}

export async function eventIds(page: Page): Promise<string[]> {
  return page.locator('#timeline li').evaluateAll((items) => items.map((item) => item.getAttribute('data-event-id') ?? ''));
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core in the page: the serious and critical violations, with the elements they concern. */
export async function seriousAccessibilityViolations(page: Page): Promise<{ id: string; targets: string[] }[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: RunOptions): Promise<AxeResults> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, targets: v.nodes.map((n) => String(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map(({ id, targets }) => ({ id, targets }));
}
