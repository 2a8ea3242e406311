import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { sha256 } from '../src/hardening/trustedDocuments.js';

/**
 * `npm run trusted-documents`: writes config/trusted-documents.json (sha256 →
 * document), the manifest the gateway loads, from the operations the typed
 * client is generated from (clients/typescript/operations/*.graphql): one
 * source for both. The npm script first runs the client's code generator,
 * whose persisted documents (clients/typescript/src/generated/
 * persisted-documents.json) hold each operation as the client sends it,
 * normalized, under its SHA-256; this script checks each pair and writes
 * them in the gateway's format. Prints each hash with its operation name so
 * a client can be given it. `--check` only reports whether the manifest is current.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const PERSISTED_DOCUMENTS = join(ROOT, 'clients', 'typescript', 'src', 'generated', 'persisted-documents.json');
const MANIFEST = join(ROOT, 'config', 'trusted-documents.json');

export function buildManifest(file = PERSISTED_DOCUMENTS): { manifest: Record<string, string>; operations: Record<string, string> } {
  const persisted = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const manifest: Record<string, string> = {};
  const operations: Record<string, string> = {};
  for (const [key, document] of Object.entries(persisted)) {
    const hash = key.replace(/^sha256:/, '');
    if (sha256(document) !== hash) throw new Error(`${file}: ${key} is not the SHA-256 of its document; run npm run clients:codegen`);
    const [definition] = parse(document).definitions; // a document that does not parse stops here, with its position
    manifest[hash] = document;
    operations[hash] = definition && 'name' in definition && definition.name ? definition.name.value : '(anonymous)';
  }
  return { manifest, operations };
}

export function manifestText(manifest: Record<string, string>): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { manifest, operations } = buildManifest();
  const text = manifestText(manifest);
  if (process.argv.includes('--check')) {
    const current = readFileSync(MANIFEST, 'utf8') === text;
    process.stdout.write(current ? 'config/trusted-documents.json is current\n' : 'config/trusted-documents.json is stale: run npm run trusted-documents\n');
    process.exit(current ? 0 : 1);
  }
  writeFileSync(MANIFEST, text);
  for (const [hash, name] of Object.entries(operations)) process.stdout.write(`${hash}  ${name}\n`);
}
