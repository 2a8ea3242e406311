import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { APOLLO_REQUEST_CODES, ErrorCode } from '../src/errors.js';
import { ROOT } from './support/process.js';

const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const headings = markdown.split('\n').filter((line) => /^#{1,6} /.test(line)).map((line) => line.replace(/^#+ /, ''));
  return new Set(headings.map((heading) => heading.toLowerCase().replace(/`/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').trim().replace(/\s/g, '-')));
}

describe('the docs', () => {
  it('list every error code the gateway answers in docs/errors.md, one row each', () => {
    const rows = read('docs/errors.md')
      .split('\n')
      .flatMap((line) => /^\| `([A-Z_]+)` \|/.exec(line)?.[1] ?? []);
    const answered = [...Object.values(ErrorCode), ...APOLLO_REQUEST_CODES].filter((code) => code !== ErrorCode.PURPOSE_REQUIRED);
    expect([...rows].sort()).toEqual([...new Set(answered)].sort());
  });

  it('link only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const file of DOCS) {
      for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const linked = path === '' ? file : join(dirname(file), path);
        if (!existsSync(resolve(ROOT, linked))) {
          broken.push(`${file} → ${target}`);
          continue;
        }
        if (anchor && linked.endsWith('.md') && !anchorsOf(read(linked)).has(anchor)) broken.push(`${file} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('and the code point to no document outside this repository (what users need is in docs/)', () => {
    // Built from parts, so this file does not name what it looks for.
    const outside = new RegExp(['DESIGN' + '\\.md', '/work' + '/shared', '\\.\\./shared/[A-Z]+\\.md', 'design ' + 'doc(ument)?s?\\b'].join('|'), 'i');
    const files = ['README.md', 'CHANGELOG.md', 'Dockerfile', ...['docs', 'src', 'connectors', 'resolvers', 'bench', 'scripts', 'test', 'deploy', 'config', 'schema', 'web', 'clients'].flatMap((dir) =>
      readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
        .filter((name) => !name.split('/').some((part) => part === 'node_modules' || part === 'dist' || part === 'generated'))
        .filter((name) => /\.(md|ts|tsx|js|mjs|json|graphql|ya?ml|html|css|sh)$/.test(name))
        .map((name) => `${dir}/${name}`),
    )];
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((file) => outside.test(read(file)))).toEqual([]);
  });

  it('call no enforced protection "not enforced yet"', () => {
    const claims = DOCS.flatMap((file) => (/not enforced yet|not part of this gateway yet/i.test(read(file)) ? [file] : []));
    expect(claims).toEqual([]);
  });
});
