import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const web = (path: string) => fileURLToPath(new URL(`./web/${path}`, import.meta.url));

/**
 * The console and the query explorer, built into web/dist and served by the
 * gateway itself (src/web/pages.ts): every script, style, font and worker is
 * a local file under /assets/ with a content hash in its name, so the pages
 * work offline and under a `script-src 'self'` Content-Security-Policy.
 */
export default defineConfig({
  root: web(''),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: web('dist'),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Monaco (inside GraphiQL) is large by nature; it is loaded only by /explorer.
    chunkSizeWarningLimit: 6_000,
    // Under a strict CSP an inlined asset would be a data: URL that the policy refuses.
    assetsInlineLimit: 0,
    rolldownOptions: {
      input: { console: web('console/index.html'), explorer: web('explorer/index.html') },
      // GraphiQL's dependencies mark React client modules with "use client", which means nothing in a plain bundle.
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE') return;
        handler(level, log);
      },
    },
  },
  worker: { format: 'es' },
});
