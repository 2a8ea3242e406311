import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { sha256 } from '../src/hardening/trustedDocuments.js';

/**
 * `npm run trusted-documents`: writes config/trusted-documents.json (sha256 →
 * document) from the operations in config/trusted-documents/*.graphql. Each
 * file's text, without its trailing newline, is the document a client sends;
 * the hash is over exactly those bytes. Prints each hash with its file so a
 * client can be given it. `--check` only reports whether the manifest is current.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SOURCE_DIR = join(ROOT, 'config', 'trusted-documents');
const MANIFEST = join(ROOT, 'config', 'trusted-documents.json');

export function buildManifest(dir = SOURCE_DIR): { manifest: Record<string, string>; files: Record<string, string> } {
  const manifest: Record<string, string> = {};
  const files: Record<string, string> = {};
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.graphql')).sort()) {
    const document = readFileSync(join(dir, file), 'utf8').replace(/\n+$/, '');
    parse(document); // a document that does not parse stops here, with its position
    const hash = sha256(document);
    manifest[hash] = document;
    files[hash] = file;
  }
  return { manifest, files };
}

export function manifestText(manifest: Record<string, string>): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { manifest, files } = buildManifest();
  const text = manifestText(manifest);
  if (process.argv.includes('--check')) {
    const current = readFileSync(MANIFEST, 'utf8') === text;
    process.stdout.write(current ? 'config/trusted-documents.json is current\n' : 'config/trusted-documents.json is stale: run npm run trusted-documents\n');
    process.exit(current ? 0 : 1);
  }
  writeFileSync(MANIFEST, text);
  for (const [hash, file] of Object.entries(files)) process.stdout.write(`${hash}  ${file}\n`);
}
