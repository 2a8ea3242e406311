import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/**
 * Headless Chromium for the browser tests: Debian's `chromium` package
 * (.ci/run installs it when missing), driven by playwright-core, which
 * never downloads a browser of its own. C360_CHROMIUM_PATH overrides the path.
 */
export function chromiumPath(): string | undefined {
  const candidates = [process.env.C360_CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((path): path is string => Boolean(path) && existsSync(path!));
}

/** Why the browser tests cannot run here, printed by each browser test file, or undefined when they can. */
export function browserSkipReason(): string | undefined {
  if (chromiumPath()) return undefined;
  return 'browser tests SKIPPED: no Chromium at /usr/bin/chromium (apt-get install -y chromium, or set C360_CHROMIUM_PATH)';
}

/**
 * Flags for a closed network: without the background-networking ones,
 * Chromium keeps trying to reach Google's hosts. Playwright gives every
 * launch a fresh temporary --user-data-dir of its own.
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(browserSkipReason());
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_FLAGS });
}

/**
 * Waits sized for a loaded 2-core machine (other test files, and other
 * projects' tests, share the cores): generous, since a pass returns as soon
 * as the page is ready and only a failure waits the whole time.
 */
export const PATIENT = { timeout: 20_000, interval: 100 } as const;
export const BROWSER_TEST_TIMEOUT_MS = 120_000;

/**
 * Gateway settings for the browser tests: source deadlines far above the
 * 300 ms default, so a loaded machine does not turn a slow embedded read into
 * SOURCE_TIMEOUT. A source that fails on purpose (HTTP 500) still fails at once.
 */
export const BROWSER_GATEWAY_ENV = { C360_SOURCE_TIMEOUT_MS: '5000' } as const;

/** What a page did that a test may want to check: console output, uncaught errors, and every URL it asked for. */
export interface PageRecord {
  readonly page: Page;
  readonly context: BrowserContext;
  readonly console: { type: string; text: string }[];
  readonly pageErrors: string[];
  readonly requests: { method: string; url: string; postData: string | null }[];
}

export async function openPage(browser: Browser, url: string): Promise<PageRecord> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const record: PageRecord = { page, context, console: [], pageErrors: [], requests: [] };
  page.on('console', (message) => record.console.push({ type: message.type(), text: message.text() }));
  page.on('pageerror', (error) => record.pageErrors.push(error.message));
  context.on('request', (request) => record.requests.push({ method: request.method(), url: request.url(), postData: request.postData() }));
  await page.goto(url);
  return record;
}
