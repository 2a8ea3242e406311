import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding package.json, config/, schema/ and web/dist/: the
 * files the server reads at run time. It is found from this module's own
 * place, the nearest directory above it with a package.json, so it is the
 * same whether the server runs from src/ (tsx, tests) or from the compiled
 * dist/src/ (`npm start`, the container image), and wherever the checkout
 * or the image's /app lives. A module that reads such a file asks here
 * rather than counting `../` from itself, which would point into dist/ once
 * compiled (test/production-build.test.ts checks that none does).
 */
function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

export const PROJECT_ROOT = findProjectRoot(dirname(fileURLToPath(import.meta.url)));

/** A path under the project root, e.g. `projectPath('config', 'policy.json')`. */
export function projectPath(...segments: readonly string[]): string {
  return join(PROJECT_ROOT, ...segments);
}
