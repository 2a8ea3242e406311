import { expect } from 'vitest';
import type { PageRecord } from './browser.js';

/**
 * What the issue forbids a page to do with personal data: put it in a URL
 * (the address bar or any request), in localStorage, or in the browser
 * console; and what it forbids the page to load: anything from another
 * origin, or anything the CSP had to refuse. sessionStorage holds the key only.
 */
export async function expectNoPersonalDataLeaks(record: PageRecord, origin: string, personalValues: readonly string[]): Promise<void> {
  const { page } = record;
  const values = personalValues.filter((value) => value.length > 0);
  const forms = values.flatMap((value) => [value, encodeURIComponent(value), value.toLowerCase()]);
  expect(new URL(page.url()).search).toBe('');
  for (const request of record.requests) {
    expect(request.url.startsWith(`${origin}/`), `request to another origin: ${request.url}`).toBe(true);
    for (const form of forms) expect(request.url, 'personal value in a URL').not.toContain(form);
  }
  for (const request of record.requests.filter((r) => new URL(r.url).pathname === '/graphql')) expect(request.method).toBe('POST');
  for (const message of record.console) {
    expect(message.text, 'the page refused something under its CSP').not.toMatch(/Refused to|Content Security Policy|TrustedHTML|Trusted Type/i);
    for (const form of forms) expect(message.text, 'personal value in the browser console').not.toContain(form);
  }
  expect(record.pageErrors).toEqual([]);
  const storage = await page.evaluate(() => ({ local: Object.keys(localStorage), session: Object.keys(sessionStorage) }));
  expect(storage.local).toEqual([]);
  expect(storage.session.filter((key) => key !== 'c360.credential')).toEqual([]);
}
