import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Compiles the server (src/, connectors/, resolvers/ and the operator tools
 * in tsconfig.build.json) into dist/ with TypeScript, so `npm start` and the
 * container image run plain JavaScript: `node dist/src/main.js`. With
 * `--if-stale` (prestart) it does nothing when dist/ was compiled from the
 * same sources, TypeScript settings, lockfile and this script: a hash of
 * those is written to dist/.build-stamp after each build.
 *
 * Plain Node runs this file (its types are stripped, it imports only Node's
 * own modules), so the check works where only production dependencies are
 * installed (`npm ci --omit=dev`); building needs TypeScript, a development
 * dependency, and says so when it is missing.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.build-stamp');
export const BUILD_CONFIG = join(ROOT, 'tsconfig.build.json');
/** The entry point `npm start` and the image run. */
export const SERVER_ENTRY = join(DIST, 'src', 'main.js');

/** What tsconfig.build.json compiles: every .ts file under these folders but tests, and these single files. */
export const SOURCE_DIRS = ['types', 'src', 'connectors', 'resolvers'] as const;
export const SOURCE_FILES = ['scripts/keys.ts', 'scripts/identities-import.ts', 'scripts/segments-evaluate.ts', 'scripts/jobs.ts'] as const;
const SETTINGS_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'] as const;

function isSource(path: string): boolean {
  return path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.includes('/__tests__/');
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** Every file whose change calls for a new build, absolute paths. */
export function buildInputs(): string[] {
  const sources = SOURCE_DIRS.flatMap((dir) => walk(join(ROOT, dir))).filter(isSource);
  return [...sources, ...[...SOURCE_FILES, ...SETTINGS_FILES].map((file) => join(ROOT, file)), fileURLToPath(import.meta.url)].sort();
}

export function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of buildInputs()) {
    hash.update(relative(ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

export function serverIsFresh(): boolean {
  return existsSync(STAMP) && existsSync(SERVER_ENTRY) && readFileSync(STAMP, 'utf8').trim() === sourceHash();
}

export class BuildError extends Error {}

function typescriptCompiler(): string {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    throw new BuildError(
      'dist/ is missing or older than the sources, and TypeScript (a development dependency) is not installed here. ' +
        'Build where development dependencies are installed (npm ci && npm run build), then install with --omit=dev.',
    );
  }
}

export function buildServer(options: { readonly ifStale: boolean }): 'built' | 'fresh' {
  if (options.ifStale && serverIsFresh()) return 'fresh';
  const tsc = typescriptCompiler();
  const hash = sourceHash();
  // A clean output: a source file deleted since the last build leaves no module behind.
  rmSync(DIST, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [tsc, '-p', BUILD_CONFIG], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new BuildError(`TypeScript reported errors (exit ${String(result.status ?? result.signal)}); dist/ was not written completely.`);
  writeFileSync(STAMP, `${hash}\n`);
  return 'built';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  try {
    if (buildServer({ ifStale: process.argv.includes('--if-stale') }) === 'built') {
      process.stdout.write(`server compiled into dist in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    }
  } catch (error) {
    process.stderr.write(`server build failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
