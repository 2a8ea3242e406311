import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { projectPath } from '../projectRoot.js';

/** Where `npm run build:web` (Vite) writes the pages and their assets. */
export const WEB_DIST_DIR = projectPath('web', 'dist');

/**
 * Content-Security-Policy of each page (docs/console.md). Scripts only from
 * this origin, never inline. The console also allows no inline styles and
 * enforces Trusted Types, since it never writes HTML. The explorer's
 * editor (Monaco, inside GraphiQL) injects its theme as <style> elements at
 * run time and its bundled fonts are data: URLs, so that page alone allows
 * inline styles and data: fonts; its scripts stay 'self' only.
 */
const COMMON_POLICY = ["default-src 'none'", "script-src 'self'", "connect-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'", "object-src 'none'"];

export const PAGE_POLICIES = {
  console: [...COMMON_POLICY, "style-src 'self'", "img-src 'self'", "font-src 'self'", "require-trusted-types-for 'script'", "trusted-types 'none'"].join('; '),
  explorer: [...COMMON_POLICY, "worker-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self' data:"].join('; '),
} as const;

const PAGES = [
  { route: '/console', file: 'console/index.html', policy: PAGE_POLICIES.console },
  { route: '/explorer', file: 'explorer/index.html', policy: PAGE_POLICIES.explorer },
] as const;

/** A year: every file under /assets/ has a content hash in its name, so a changed file is a new URL. */
const ASSET_MAX_AGE_MS = 365 * 24 * 60 * 60 * 1000;

export interface WebPagesOptions {
  readonly distDir?: string;
  /** Demo mode: the pages may suggest the demo keys. Outside it, every `<span data-demo-only>` is left out. */
  readonly demo?: boolean;
}

/** Demo hints (the demo keys exist only in demo mode) are cut from the page before it is served when demo mode is off. */
const DEMO_ONLY = /\s*<span data-demo-only>[\s\S]*?<\/span>/g;

function pageHtml(file: string, demo: boolean): Buffer | undefined {
  if (!existsSync(file)) return undefined;
  const html = readFileSync(file);
  return demo ? html : Buffer.from(html.toString('utf8').replace(DEMO_ONLY, ''), 'utf8');
}

/**
 * GET /console, GET /explorer and GET /assets/*. The pages are HTML that
 * must be revalidated (`no-cache`) so a rebuild shows at once; the assets
 * they name are immutable. Security headers go on these responses only;
 * /graphql keeps its own (the gateway's hardening owns global headers).
 */
export async function registerWebPages(app: FastifyInstance, options: WebPagesOptions = {}): Promise<void> {
  const dist = options.distDir ?? WEB_DIST_DIR;
  for (const page of PAGES) {
    const html = pageHtml(join(dist, page.file), options.demo ?? false);
    app.get(page.route, async (_request, reply) => {
      if (!html) return notBuilt(reply);
      return reply
        .headers({
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-cache',
          'content-security-policy': page.policy,
          'cross-origin-opener-policy': 'same-origin',
          ...COMMON_HEADERS,
        })
        .send(html);
    });
  }
  const assets = join(dist, 'assets');
  if (!existsSync(assets)) return;
  await app.register(async (scope) => {
    // RFC 9239: text/javascript is the one JavaScript media type (module workers are strict about it).
    // Renamed on the way out, whatever file was sent (plain, .br or .gz): @fastify/static sets the
    // type of a precompressed file after its setHeaders. A 404 for a .js URL keeps its own type.
    scope.addHook('onSend', async (_request, reply, payload) => {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('application/javascript')) reply.header('content-type', `text/javascript${type.slice('application/javascript'.length)}`);
      return payload;
    });
    await scope.register(fastifyStatic, {
      root: assets,
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      list: false,
      dotfiles: 'deny',
      immutable: true,
      maxAge: ASSET_MAX_AGE_MS,
      // The build writes .br and .gz beside each text asset (scripts/buildWeb.ts); sent by Accept-Encoding, with Vary.
      preCompressed: true,
      setHeaders: (reply) => reply.headers(COMMON_HEADERS),
    });
  });
}

const COMMON_HEADERS = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' } as const;

function notBuilt(reply: FastifyReply) {
  return reply
    .code(503)
    .headers({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...COMMON_HEADERS })
    .send('The web pages are not built: run `npm run build:web` (`npm start` does it when they are missing or stale).\n');
}
