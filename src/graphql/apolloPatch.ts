import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The gateway runs every operation through Apollo Server's `gateway` option
 * (src/graphql/executor.ts), and Apollo Server builds each such request's
 * context with an object literal whose `status` getter and setter capture
 * the whole request context. In V8 an object given accessors of its own is
 * kept through young-generation collections with all it reaches, and is
 * promoted: unpatched, every request's context survived every scavenge
 * (about 2 MB copied per scavenge under load, each scavenge 5–8 times
 * longer; bench/README.md, "Where the time goes"). patches/ holds the fix
 * (the accessors on a class), which `npm install` and `npm ci` apply through
 * patch-package (package.json's postinstall).
 */
export const APOLLO_PATCH = 'patches/@apollo+server+5.5.1.patch';

/** The marker the patch adds to both of Apollo Server's builds (ESM and CommonJS). */
const PATCHED = 'class GatewayResponseHttp';

/**
 * Whether the installed Apollo Server carries the patch, in both its builds:
 * the one this module resolves, or the one installed in the project at `root`
 * (an image's runtime directory, say).
 */
export function apolloGatewayContextPatched(root?: string): boolean {
  const cjsEntry = createRequire(root === undefined ? import.meta.url : join(root, 'package.json')).resolve('@apollo/server');
  const dist = dirname(dirname(cjsEntry));
  return ['esm', 'cjs'].every((build) => {
    try {
      return readFileSync(join(dist, build, 'utils', 'makeGatewayGraphQLRequestContext.js'), 'utf8').includes(PATCHED);
    } catch {
      return false;
    }
  });
}
