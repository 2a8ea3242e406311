import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILD_CONFIG, buildInputs } from '../scripts/buildServer.js';
import { PROJECT_ROOT, projectPath } from '../src/projectRoot.js';
import { ROOT } from './support/process.js';

/**
 * The compiled build (`npm start`, the image) runs from dist/src/, one level
 * deeper than the sources: what it reads at run time must be found from the
 * project root, and its stale check must cover everything it compiles.
 * test/container-image.test.ts runs the build itself.
 */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') && !path.includes('/__tests__/') ? [path] : [];
  });
}

describe('files the server reads at run time', () => {
  it('are found from the project root, from src/ and from dist/src/ alike', () => {
    expect(PROJECT_ROOT).toBe(ROOT.replace(/\/$/, ''));
    expect(projectPath('config', 'policy.json')).toBe(join(ROOT, 'config', 'policy.json'));
  });

  it('are never reached by counting ../ from a module (that would point into dist/ once compiled)', () => {
    const offenders = ['src', 'connectors', 'resolvers']
      .flatMap((dir) => sources(join(ROOT, dir)))
      .filter((file) => /new URL\(\s*['"`]\.\.?\//.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(offenders, 'use projectPath() from src/projectRoot.ts').toEqual([]);
  });
});

describe('the server build', () => {
  it('counts every file TypeScript compiles among the inputs of its stale check', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const compiled = execFileSync(process.execPath, [tsc, '-p', BUILD_CONFIG, '--listFilesOnly'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((file) => file.startsWith(ROOT) && !file.includes('/node_modules/'));
    expect(compiled.length).toBeGreaterThan(100);
    const inputs = new Set(buildInputs());
    expect(compiled.filter((file) => !inputs.has(file)).map((file) => relative(ROOT, file))).toEqual([]);
  });

  it('is what npm start runs, after building what is stale, with signals reaching node', () => {
    const { scripts, dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; dependencies: Record<string, string> };
    expect(scripts.prestart).toBe('node scripts/buildWeb.ts --if-stale && node scripts/buildServer.ts --if-stale');
    expect(scripts.start).toBe('exec node --env-file-if-exists=.env dist/src/main.js');
    expect(scripts.dev).toBe('exec node --watch --env-file-if-exists=.env --import tsx src/main.ts');
    for (const tool of ['tsx', 'typescript', 'vite', 'vitest', '@graphql-codegen/cli', 'react', 'graphiql']) expect(dependencies, tool).not.toHaveProperty([tool]);
  });
});
