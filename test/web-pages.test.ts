import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_POLICIES, WEB_DIST_DIR, registerWebPages } from '../src/web/pages.js';
import { startTestGateway } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';

/** The asset URLs a built page names in its <script>, <link> and icon tags. */
function assetUrls(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
}

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  ttf: 'font/ttf',
};

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.close());

describe('web pages over HTTP', () => {
  it.each([
    ['/console', PAGE_POLICIES.console, 'console/index.html'],
    ['/explorer', PAGE_POLICIES.explorer, 'explorer/index.html'],
  ])('GET %s serves the built page, never cached without revalidation, under its CSP', async (route, policy, file) => {
    const response = await fetch(`${gw.url}${route}`);
    const headers = Object.fromEntries(['content-type', 'cache-control', 'content-security-policy', 'x-content-type-options', 'referrer-policy'].map((h) => [h, response.headers.get(h)]));
    expect({ status: response.status, headers, body: await response.text() }).toEqual({
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-security-policy': policy,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      },
      body: readFileSync(join(WEB_DIST_DIR, file), 'utf8'),
    });
  });

  it('allows scripts from the gateway only, never inline, on both pages', () => {
    for (const policy of Object.values(PAGE_POLICIES)) {
      const directives = new Map(policy.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
      expect(directives.get('script-src')).toEqual(["'self'"]);
      expect(directives.get('default-src')).toEqual(["'none'"]);
      expect(directives.get('connect-src')).toEqual(["'self'"]);
      expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    }
    // Only the explorer relaxes styles (Monaco injects its theme as <style>); the console does not.
    expect(PAGE_POLICIES.console).toContain("style-src 'self';");
    expect(PAGE_POLICIES.console).not.toContain('unsafe');
  });

  it('serves every asset a page names with its content type and a year of immutable caching', async () => {
    const pages = await Promise.all(['/console', '/explorer'].map(async (route) => (await fetch(`${gw.url}${route}`)).text()));
    const urls = [...new Set(pages.flatMap(assetUrls))];
    expect(urls.length).toBeGreaterThanOrEqual(4);
    for (const url of urls) {
      const response = await fetch(`${gw.url}${url}`);
      const extension = url.split('.').at(-1)!;
      expect({ url, status: response.status, type: response.headers.get('content-type'), cache: response.headers.get('cache-control'), nosniff: response.headers.get('x-content-type-options') }).toEqual({
        url,
        status: 200,
        type: CONTENT_TYPES[extension],
        cache: 'public, max-age=31536000, immutable',
        nosniff: 'nosniff',
      });
      await response.arrayBuffer();
    }
  });

  it('sends text assets compressed by Accept-Encoding, the same bytes once decoded, and says it varies by encoding', async () => {
    const explorer = await (await fetch(`${gw.url}/explorer`)).text();
    const scripts = assetUrls(explorer).filter((url) => url.endsWith('.js'));
    let compressed = 0;
    let plainTotal = 0;
    let brotliTotal = 0;
    for (const url of scripts) {
      const plain = await fetch(`${gw.url}${url}`, { headers: { 'accept-encoding': 'identity' } });
      const plainBytes = Buffer.from(await plain.arrayBuffer());
      // The build compresses files of 1 KB and more (scripts/buildWeb.ts); smaller ones go out as they are.
      if (plainBytes.length < 1024) continue;
      compressed += 1;
      plainTotal += plainBytes.length;
      for (const encoding of ['br', 'gzip']) {
        // undici decodes the body itself; the headers still say what crossed the wire.
        const packed = await fetch(`${gw.url}${url}`, { headers: { 'accept-encoding': encoding } });
        const wireBytes = Number(packed.headers.get('content-length'));
        if (encoding === 'br') brotliTotal += wireBytes;
        expect({
          encoding: packed.headers.get('content-encoding'),
          vary: packed.headers.get('vary'),
          type: packed.headers.get('content-type'),
          cache: packed.headers.get('cache-control'),
          sameBytes: Buffer.from(await packed.arrayBuffer()).equals(plainBytes),
          smaller: wireBytes > 0 && wireBytes < plainBytes.length,
        }).toEqual({
          encoding,
          vary: 'accept-encoding',
          type: 'text/javascript; charset=utf-8',
          cache: 'public, max-age=31536000, immutable',
          sameBytes: true,
          smaller: true,
        });
      }
      expect(plain.headers.get('content-encoding')).toBeNull();
    }
    expect(compressed).toBeGreaterThan(0);
    // The explorer's scripts are mostly Monaco and GraphiQL: brotli takes them to well under a third.
    expect(brotliTotal / plainTotal).toBeLessThan(1 / 3);
  });

  it('serves nothing but the built assets: no missing file, no directory listing, no way out of web/dist/assets', async () => {
    for (const [path, status] of [
      ['/assets/nope-12345678.js', 404],
      // No listing: with precompressed assets the directory is looked up as an index file, which there is none of.
      ['/assets/', 404],
      ['/assets/..%2f..%2fpackage.json', 403],
      ['/assets/.build-stamp', 403],
    ] as const) {
      const response = await fetch(`${gw.url}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status });
      await response.arrayBuffer();
    }
  });

  it('leaves /graphql with the gateway’s own restrictive CSP, not the pages’ (global headers belong to the hardening)', async () => {
    const response = await fetch(`${gw.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'c360_demo_support' }, body: '{"query":"{ __typename }"}' });
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/^default-src 'none'/);
    expect(policy).not.toContain("script-src 'self'");
    await response.arrayBuffer();
  });

  it('suggests the demo keys on the console sign-in only in demo mode, where they exist', async () => {
    const demo = await (await fetch(`${gw.url}/console`)).text();
    expect(demo).toContain('In demo mode try <code>c360_demo_support</code>');
    const production = await startTestGateway({ C360_DEMO: 'false' });
    try {
      const page = await (await fetch(`${production.url}/console`)).text();
      expect(page).not.toMatch(/c360_demo|demo mode/);
      expect(page).toContain('closing the tab forgets it.');
      expect(page).toContain('id="credential-hint"');
    } finally {
      await production.close();
    }
  });

  it('says how to build the pages when web/dist is missing, instead of failing to start', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'c360-web-'));
    const app = Fastify();
    try {
      await registerWebPages(app, { distDir: empty });
      const response = await app.inject({ method: 'GET', url: '/console' });
      expect({ status: response.statusCode, type: response.headers['content-type'], body: response.body }).toEqual({
        status: 503,
        type: 'text/plain; charset=utf-8',
        body: 'The web pages are not built: run `npm run build:web` (`npm start` does it when they are missing or stale).\n',
      });
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
