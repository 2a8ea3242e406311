import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/**
 * Builds the console and explorer (web/ → web/dist/) with Vite. With
 * `--if-stale` (prestart, the test setup) it does nothing when web/dist was
 * built from the same sources, Vite config, lockfile and this script: a hash of those is
 * written to web/dist/.build-stamp after each build.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WEB = join(ROOT, 'web');
const DIST = join(WEB, 'dist');
const STAMP = join(DIST, '.build-stamp');

export function sourceHash(): string {
  const hash = createHash('sha256');
  const files = [...walk(WEB).filter((file) => !file.startsWith(DIST)), join(ROOT, 'vite.config.ts'), join(ROOT, 'package-lock.json'), fileURLToPath(import.meta.url)];
  for (const file of files.sort()) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === DIST ? [] : walk(path);
    return [path];
  });
}

export function webIsFresh(): boolean {
  return existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === sourceHash();
}

export async function buildWeb(options: { readonly ifStale: boolean }): Promise<'built' | 'fresh'> {
  if (options.ifStale && webIsFresh()) return 'fresh';
  const hash = sourceHash();
  const { build } = await import('vite').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(
      'web/dist is missing or older than its sources, and Vite (a development dependency) is not installed here. ' +
        'Build where development dependencies are installed (npm ci && npm run build), then install with --omit=dev.',
    );
  });
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  precompress(join(DIST, 'assets'));
  writeFileSync(STAMP, `${hash}\n`);
  return 'built';
}

/** Text assets worth compressing; images and fonts are compressed already. */
const COMPRESSIBLE = new Set(['.js', '.css', '.svg', '.json', '.map', '.txt']);
const MIN_COMPRESS_BYTES = 1024;

/**
 * Writes `<file>.br` and `<file>.gz` beside each text asset, which the
 * gateway serves by Accept-Encoding (@fastify/static `preCompressed`): the
 * explorer's 7 MB leave as about 1.9 MB, with no compression work per request.
 */
function precompress(dir: string): void {
  for (const entry of readdirSync(dir)) {
    const file = join(dir, entry);
    if (!COMPRESSIBLE.has(extname(file)) || statSync(file).size < MIN_COMPRESS_BYTES) continue;
    const bytes = readFileSync(file);
    writeFileSync(`${file}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
    writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const ifStale = process.argv.includes('--if-stale');
  const started = Date.now();
  buildWeb({ ifStale }).then(
    (result) => {
      if (result === 'built') process.stdout.write(`web pages built into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    },
    (error: unknown) => {
      process.stderr.write(`web build failed: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
