import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { GraphQLRequest } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import { forbidden } from '../errors.js';
import type { RequestCheck } from './checks.js';
import { refusal } from './refusals.js';
import { projectPath } from '../projectRoot.js';

export const DEFAULT_TRUSTED_DOCUMENTS_FILE = projectPath('config', 'trusted-documents.json');

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lower-case hex SHA-256');

/**
 * The manifest: either a plain map `{ "<sha256>": "<document>" }` or the
 * persisted-query manifest Apollo's tooling writes
 * (`@apollo/generate-persisted-query-manifest`).
 */
const manifestSchema = z.union([
  z.record(sha256Hex, z.string().min(1)),
  z.object({
    format: z.literal('apollo-persisted-query-manifest'),
    version: z.literal(1),
    operations: z.array(z.object({ id: sha256Hex, body: z.string().min(1) }).loose()),
  }),
]);

export type TrustedDocuments = ReadonlyMap<string, string>;

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Reads and checks the manifest once at start: every hash must be the
 * SHA-256 of its document's exact text. The shipped file is optional; a file
 * named in C360_TRUSTED_DOCUMENTS_FILE must exist.
 */
export function loadTrustedDocuments(file: string | undefined): TrustedDocuments {
  const path = file ?? DEFAULT_TRUSTED_DOCUMENTS_FILE;
  if (file === undefined && !existsSync(path)) return new Map();
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`Trusted documents manifest ${path} could not be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).name}.`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`);
    throw new Error(`Trusted documents manifest ${path} is invalid: ${where.join('; ')}.`);
  }
  const manifest = parsed.data;
  const entries: Array<readonly [string, string]> = isApolloManifest(manifest)
    ? manifest.operations.map((op) => [op.id, op.body] as const)
    : Object.entries(manifest);
  for (const [hash, document] of entries) {
    if (sha256(document) !== hash) throw new Error(`Trusted documents manifest ${path}: ${hash} is not the SHA-256 of its document.`);
  }
  return new Map(entries);
}

function isApolloManifest(manifest: z.infer<typeof manifestSchema>): manifest is Extract<z.infer<typeof manifestSchema>, { format: string }> {
  return manifest.format === 'apollo-persisted-query-manifest' && Array.isArray(manifest.operations);
}

/** Web and mobile apps (end-user and agent tokens) may register documents by automatic persisted queries. */
function isFirstParty(principal: Principal): boolean {
  return principal.kind === 'customer' || principal.kind === 'agent';
}

/** What a request's document turned out to be. */
type Resolved = { readonly trusted: boolean; readonly register?: { readonly hash: string; readonly document: string } };

/**
 * Trusted documents and automatic persisted queries (docs/security.md,
 * "Trusted documents"), in place of Apollo's own APQ (off), because who may
 * do what depends on the principal:
 * - anyone may send `extensions.persistedQuery.sha256Hash` alone for a
 *   document in the manifest;
 * - first-party principals may also register a document (hash + query) and
 *   then send its hash alone: the APQ protocol, over a bounded in-process
 *   cache (a miss answers PERSISTED_QUERY_NOT_FOUND and the client resends);
 * - a key marked trustedDocumentsOnly runs manifest documents only; any other
 *   document is FORBIDDEN (reason TRUSTED_DOCUMENTS_ONLY) before parsing.
 */
export function trustedDocumentsCheck(manifest: TrustedDocuments, apqCacheSize: number): RequestCheck {
  const registered = apqCacheSize > 0 ? new LRUCache<string, string>({ max: apqCacheSize }) : undefined;
  // A first-party document to register once it is known to parse and validate, by its request.
  const registering = new WeakMap<GraphQLRequest, { readonly hash: string; readonly document: string }>();
  return {
    request({ request, contextValue }) {
      const resolved = resolveDocument(request, contextValue.principal, manifest, registered);
      if (contextValue.principal.trustedDocumentsOnly && !resolved.trusted) {
        throw refusal(
          forbidden('This key runs trusted documents only: send the sha256Hash of a document in the manifest as extensions.persistedQuery.', {
            reason: 'TRUSTED_DOCUMENTS_ONLY',
            http: { status: 403 },
          }),
        );
      }
      if (resolved.register && registered) registering.set(request, resolved.register);
    },
    // Registered once it parsed and validated, as Apollo's APQ does.
    operation({ request }) {
      const register = registering.get(request);
      if (register) registered!.set(register.hash, register.document);
    },
  };
}

function resolveDocument(
  request: GraphQLRequest,
  principal: Principal,
  manifest: TrustedDocuments,
  registered: LRUCache<string, string> | undefined,
): Resolved {
  const { persistedQuery, ...otherExtensions } = request.extensions ?? {};
  if (persistedQuery === undefined || persistedQuery === null) {
    const trusted = principal.trustedDocumentsOnly && typeof request.query === 'string' && manifest.has(sha256(request.query));
    return { trusted };
  }
  const hash = persistedHash(persistedQuery);
  // Apollo's own APQ is off and would refuse a request that still carries the extension.
  request.extensions = otherExtensions;
  if (request.query === undefined) {
    const document = manifest.get(hash) ?? (isFirstParty(principal) ? registered?.get(hash) : undefined);
    if (document === undefined) {
      throw refusal(
        new GraphQLError('PersistedQueryNotFound', {
          extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 200, headers: new Map([['cache-control', 'private, no-cache, must-revalidate']]) } },
        }),
      );
    }
    request.query = document;
    return { trusted: manifest.has(hash) };
  }
  if (sha256(request.query) !== hash) throw refusal(badRequest('provided sha does not match query'));
  if (manifest.has(hash)) return { trusted: true };
  return isFirstParty(principal) ? { trusted: false, register: { hash, document: request.query } } : { trusted: false };
}

function persistedHash(persistedQuery: unknown): string {
  const { version, sha256Hash } = (typeof persistedQuery === 'object' ? persistedQuery : {}) as { version?: unknown; sha256Hash?: unknown };
  if (version !== 1) throw refusal(badRequest('Unsupported persisted query version'));
  if (typeof sha256Hash !== 'string' || !sha256Hex.safeParse(sha256Hash).success) {
    throw refusal(badRequest('extensions.persistedQuery.sha256Hash must be a lower-case hex SHA-256'));
  }
  return sha256Hash;
}

function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
}
