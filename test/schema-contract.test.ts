import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHANGELOG_FILE, RELEASED_FILE, SCHEMA_FILE, checkSchema, currentSdl, deprecationProblems, listedBreakingChanges, sdlSchema } from '../scripts/schema.js';
import { SCHEMA_DIR } from '../src/graphql/schema.js';
import { cleanEnv, run } from './support/commands.js';
import { ROOT } from './support/process.js';

/**
 * The schema contract (docs/schema-contract.md): schema.graphql is the full
 * SDL printed from schema/, and `npm run schema:check` holds every change
 * since the released schema against CHANGELOG.md.
 */
const released = readFileSync(RELEASED_FILE, 'utf8');
const current = readFileSync(SCHEMA_FILE, 'utf8');
const changelog = readFileSync(CHANGELOG_FILE, 'utf8');

describe('schema.graphql', () => {
  it('is the SDL of schema/*.graphql as it is now (run `npm run schema:print` when this fails)', () => {
    expect(current, 'schema.graphql is stale: run npm run schema:print').toBe(currentSdl());
  });

  it('keeps the released schema where the schema loader does not read it', () => {
    expect(readdirSync(SCHEMA_DIR).filter((file) => file.endsWith('.graphql'))).not.toContain('released.graphql');
    expect(() => sdlSchema(released)).not.toThrow();
  });
});

/** The current schema with one edit inside one type's block (a replacement that must apply). */
function edited(type: string, from: RegExp, to: string): string {
  const block = new RegExp(`^(type|enum) ${type} \\{\\n[\\s\\S]*?^\\}$`, 'm').exec(current)?.[0];
  expect(block, `the schema has no ${type}`).toBeDefined();
  expect(block, `${type} no longer matches ${from}`).toMatch(from);
  return current.replace(block!, block!.replace(from, to));
}

const UNRELEASED = (bullets: string) => `# Changelog\n\n## Unreleased\n\n### Breaking\n\n${bullets}\n\n### Added\n\n- \`Customer.createdAt\` (not a breaking entry)\n\n## 0.1.0\n\n### Breaking\n\n- \`Segment.name\`: an old entry\n`;

describe('npm run schema:check: breaking changes', () => {
  const rows = [
    { change: 'a field removed', sdl: () => edited('Segment', /\n  name: [^\n]*/, ''), coordinate: 'Segment.name' },
    { change: 'an output field made nullable', sdl: () => edited('Segment', /\n  id: ID!/, '\n  id: ID'), coordinate: 'Segment.id' },
    { change: 'an enum value removed', sdl: () => edited('Purpose', /\n  FRAUD/, ''), coordinate: 'Purpose.FRAUD' },
    { change: 'a type removed', sdl: () => edited('Address', /[\s\S]*/, '').replace(/address: Address/, 'address: String'), coordinate: 'Profile.address' },
  ];

  for (const row of rows) {
    it(`fails on ${row.change} (${row.coordinate}) unless the Unreleased section lists it under Breaking`, async () => {
      const unlisted = await checkSchema(released, row.sdl(), UNRELEASED('- nothing yet'));
      expect(unlisted.unlisted.map((change) => change.path)).toContain(row.coordinate);
      // Listed under Added, or under an earlier release's Breaking: still unlisted.
      expect(changelogLists(UNRELEASED('- nothing yet'), row.coordinate)).toBe(false);
      const listed = await checkSchema(released, row.sdl(), UNRELEASED(`- \`${row.coordinate}\`: why, and what clients do about it.`));
      expect(listed.unlisted.map((change) => change.path)).not.toContain(row.coordinate);
    });
  }

  it('reads every coordinate of a bullet, its indented continuation lines included', () => {
    const listed = listedBreakingChanges(UNRELEASED('- `Customer.createdAt`, `Customer.updatedAt`,\n  `Segment.name`: nullable.\n- `Purpose.FRAUD`: removed.\n\nNot a bullet: `Profile.address`.'));
    expect([...listed].sort()).toEqual(['Customer.createdAt', 'Customer.updatedAt', 'Purpose.FRAUD', 'Segment.name']);
  });

  it('passes additions and dangerous changes without an entry', async () => {
    const added = edited('Segment', /\{\n/, '{\n  color: String\n');
    expect((await checkSchema(current, added, UNRELEASED(''))).unlisted).toEqual([]);
  });

  it('passes the repository as it is: every breaking change since the released schema is in CHANGELOG.md', async () => {
    const check = await checkSchema(released, current, changelog);
    expect(check.unlisted.map((change) => `${change.path ?? ''}: ${change.message}`)).toEqual([]);
    expect(check.deprecations).toEqual([]);
  });

  it('passes from the command line, and exits non-zero on an unlisted breaking change, naming it', { timeout: 60_000 }, async () => {
    const ok = await run('npm run -s schema:check', ROOT, cleanEnv());
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: '' });
    // A release that had a field the schema no longer has.
    const dir = mkdtempSync(join(tmpdir(), 'c360-schema-'));
    try {
      writeFileSync(join(dir, 'released.graphql'), current.replace('type Segment {\n', 'type Segment {\n  color: String\n'));
      const broken = await run(`npm run -s schema:check -- --released ${join(dir, 'released.graphql')}`, ROOT, cleanEnv());
      expect(broken.code).toBe(1);
      expect(broken.stdout).toContain("BREAKING (not in CHANGELOG.md): Field 'color' was removed from object type 'Segment' [Segment.color]");
      expect(broken.stderr).toContain('1 breaking change(s) are not listed under "### Breaking" in the Unreleased section of CHANGELOG.md');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function changelogLists(text: string, coordinate: string): boolean {
  return listedBreakingChanges(text).has(coordinate);
}

describe('deprecations say why and since when', () => {
  const base = 'type Query { a: String, b(x: Int, y: Int @deprecated(reason: "REASON")): String } input I { f: Int @deprecated(reason: "REASON") } enum E { ONE TWO @deprecated(reason: "REASON") }';
  const rows = [
    { reason: null, problems: 0 },
    { reason: 'No longer supported', problems: 1 },
    { reason: 'Use b instead.', problems: 1 },
    { reason: '2026-12-02', problems: 1 },
    { reason: 'Use b instead. Deprecated 2026-12-02, removed after 2027-06-01.', problems: 0 },
  ];
  for (const row of rows) {
    it(`${row.reason === null ? 'no @deprecated' : JSON.stringify(row.reason)}: ${row.problems === 0 ? 'accepted' : 'refused, naming each coordinate'}`, () => {
      const sdl = row.reason === null ? base.replaceAll(/ @deprecated\(reason: "REASON"\)/g, '') : base.replaceAll('REASON', row.reason);
      const withField = row.reason === null ? sdl : sdl.replace('a: String', `a: String @deprecated(reason: "${row.reason}")`);
      const problems = deprecationProblems(sdlSchema(withField));
      if (row.problems === 0) expect(problems).toEqual([]);
      else expect(problems.map((p) => p.split(': @deprecated')[0])).toEqual(['Query.a', 'Query.b(y:)', 'I.f', 'E.TWO']);
    });
  }

  it('a bare @deprecated gets graphql-js\'s default reason, which is refused', () => {
    expect(deprecationProblems(sdlSchema('type Query { a: String @deprecated }'))).toEqual([
      'Query.a: @deprecated needs a reason that says what to use instead and the date it was deprecated (YYYY-MM-DD)',
    ]);
  });
});

describe('CHANGELOG.md', () => {
  it('has an Unreleased section with a Breaking list, first', () => {
    expect(changelog).toMatch(/^# Changelog\n[\s\S]*?\n## Unreleased\n[\s\S]*?\n### Breaking\n/);
    expect(join(ROOT, 'CHANGELOG.md')).toBe(CHANGELOG_FILE);
  });
});
