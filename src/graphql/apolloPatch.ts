import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * patches/ holds three changes to Apollo Server, which `npm install` and
 * `npm ci` apply through patch-package (package.json's postinstall):
 *
 * - The gateway runs every operation through Apollo Server's `gateway`
 *   option (src/graphql/executor.ts), and Apollo Server builds each such
 *   request's context with an object literal whose `status` getter and
 *   setter capture the whole request context. In V8 an object given
 *   accessors of its own is kept through young-generation collections with
 *   all it reaches, and is promoted: unpatched, every request's context
 *   survived every scavenge (about 2 MB copied per scavenge under load, each
 *   scavenge 5–8 times longer; bench/README.md, "Where the time goes"). The
 *   patch puts the accessors on a class.
 * - Every request hashes its query (SHA-256, the key of Apollo Server's
 *   parsed-document cache), through a helper that looks the crypto module up
 *   and makes a Hash object each time: about a tenth of a request's CPU
 *   under load. The patched pipeline keeps the hashes of short queries by
 *   their text in the map `keepQueryHashes` puts on the global object, and
 *   hashes as stock Apollo Server does when there is none: a bare Apollo
 *   Server in the same install (the benchmark's baseline) stays stock.
 * - Every request parses its Accept header in a Negotiator (negotiator's
 *   media-type parser) to learn whether it takes the legacy incremental
 *   format, and again, when it sends one, for its answer's content type. The
 *   patched server keeps both decisions by the header's text in the map
 *   `keepAcceptDecisions` puts on the global object, and parses as stock
 *   Apollo Server does when there is none.
 */
export const APOLLO_PATCH = 'patches/@apollo+server+5.5.1.patch';

/** The key under which the patched pipeline finds the query hashes it keeps (the patch's `QUERY_HASHES`). */
const QUERY_HASHES_KEY = 'c360.apollo.queryHashes';
const QUERY_HASHES = Symbol.for(QUERY_HASHES_KEY);

/** The key under which the patched server finds the Accept header decisions it keeps (the patch's `ACCEPT_DECISIONS`). */
const ACCEPT_DECISIONS_KEY = 'c360.apollo.acceptDecisions';
const ACCEPT_DECISIONS = Symbol.for(ACCEPT_DECISIONS_KEY);

/** The markers the patch adds to both of Apollo Server's builds (ESM and CommonJS), by file. */
const PATCHED: ReadonlyArray<readonly [string, string]> = [
  [join('utils', 'makeGatewayGraphQLRequestContext.js'), 'class GatewayResponseHttp'],
  ['requestPipeline.js', `Symbol.for('${QUERY_HASHES_KEY}')`],
  ['requestPipeline.js', "('legacyIncremental', request.http"],
  ['ApolloServer.js', `Symbol.for('${ACCEPT_DECISIONS_KEY}')`],
];

/**
 * Has the patched Apollo Server keep query hashes by their text in this
 * process (at most 500 queries of up to 8,192 characters; the map is
 * emptied when full). Called once by the gateway as it starts.
 */
export function keepQueryHashes(): void {
  const global = globalThis as { [QUERY_HASHES]?: Map<string, string> };
  global[QUERY_HASHES] ??= new Map();
}

/**
 * Has the patched Apollo Server keep what each Accept header asks for by the
 * header's text in this process (at most 200 decisions, of headers up to 512
 * characters; the map is emptied when full). Called once by the gateway as
 * it starts.
 */
export function keepAcceptDecisions(): void {
  const global = globalThis as { [ACCEPT_DECISIONS]?: Map<string, { value: unknown }> };
  global[ACCEPT_DECISIONS] ??= new Map();
}

/**
 * Whether the installed Apollo Server carries the patch (all its changes),
 * in both its builds: the one this module resolves, or the one installed in the project at `root`
 * (an image's runtime directory, say).
 */
export function apolloGatewayContextPatched(root?: string): boolean {
  const cjsEntry = createRequire(root === undefined ? import.meta.url : join(root, 'package.json')).resolve('@apollo/server');
  const dist = dirname(dirname(cjsEntry));
  return ['esm', 'cjs'].every((build) =>
    PATCHED.every(([file, marker]) => {
      try {
        return readFileSync(join(dist, build, file), 'utf8').includes(marker);
      } catch {
        return false;
      }
    }),
  );
}
