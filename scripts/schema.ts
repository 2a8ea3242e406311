import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CriticalityLevel, diff } from '@graphql-inspector/core';
import type { Change } from '@graphql-inspector/core';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, lexicographicSortSchema } from 'graphql';
import type { GraphQLSchema } from 'graphql';
import { loadTypeDefs } from '../src/graphql/schema.js';

/**
 * The schema contract (docs/schema-contract.md):
 *
 *   npm run schema:print   writes schema.graphql, the full SDL (directives
 *                          included, types in name order) from schema/*.graphql
 *   npm run schema:check   fails when schema.graphql is stale, when a
 *                          @deprecated has no reason with a date, or when a
 *                          change from the last release's schema
 *                          (schema-history/released.graphql) breaks clients
 *                          and is not listed under "Breaking" in the
 *                          Unreleased section of CHANGELOG.md
 *     [--released FILE]    another released schema to compare with
 *     [--changelog FILE]   another changelog
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const SCHEMA_FILE = join(ROOT, 'schema.graphql');
export const RELEASED_FILE = join(ROOT, 'schema-history', 'released.graphql');
export const CHANGELOG_FILE = join(ROOT, 'CHANGELOG.md');

const HEADER = '# Generated from schema/*.graphql by `npm run schema:print`. Do not edit: test/schema-contract.test.ts fails when it is stale.\n\n';

/** The SDL of a set of type definitions, printed the same way every time: directives kept, types sorted by name. */
export function printSdl(typeDefs: readonly string[]): string {
  const schema = makeExecutableSchema({ typeDefs: [...typeDefs] });
  return `${HEADER}${printSchemaWithDirectives(lexicographicSortSchema(schema))}\n`;
}

/** schema.graphql as it should be now. */
export function currentSdl(): string {
  return printSdl(loadTypeDefs());
}

export function sdlSchema(sdl: string): GraphQLSchema {
  return buildSchema(sdl);
}

/** A `@deprecated` must say why and since when: its reason holds a date, YYYY-MM-DD. */
export function deprecationProblems(schema: GraphQLSchema): string[] {
  const problems: string[] = [];
  const check = (coordinate: string, reason: string | null | undefined) => {
    if (reason === undefined || reason === null) return;
    if (reason === 'No longer supported' || !/\b\d{4}-\d{2}-\d{2}\b/.test(reason) || reason.replace(/\b\d{4}-\d{2}-\d{2}\b/g, '').trim().length < 10) {
      problems.push(`${coordinate}: @deprecated needs a reason that says what to use instead and the date it was deprecated (YYYY-MM-DD)`);
    }
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${type.name}.${field.name}`, field.deprecationReason);
        for (const arg of field.args) check(`${type.name}.${field.name}(${arg.name}:)`, arg.deprecationReason);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.deprecationReason);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.deprecationReason);
    }
  }
  return problems;
}

/**
 * The schema coordinates listed under "### Breaking" in CHANGELOG.md's
 * "## Unreleased" section: every `Type.field` (or `Type`, `Type.field.arg`)
 * in backticks in a bullet (with its indented continuation lines).
 */
export function listedBreakingChanges(changelog: string): Set<string> {
  const unreleased = /^## Unreleased\s*$([\s\S]*?)(?=^## )/m.exec(`${changelog}\n## `)?.[1] ?? '';
  const breaking = /^### Breaking\s*$([\s\S]*?)(?=^### |$(?![\s\S]))/m.exec(unreleased)?.[1] ?? '';
  // Bullets, with their indented continuation lines.
  const bullets: string[] = [];
  for (const line of breaking.split('\n')) {
    const start = /^[-*] (.*)$/.exec(line)?.[1];
    if (start !== undefined) bullets.push(start);
    else if (/^\s+\S/.test(line) && bullets.length > 0) bullets[bullets.length - 1] += ` ${line.trim()}`;
  }
  const listed = new Set<string>();
  for (const bullet of bullets) for (const match of bullet.matchAll(/`([A-Za-z_][\w.]*)`/g)) listed.add(match[1]!);
  return listed;
}

export interface SchemaCheck {
  readonly changes: readonly Change[];
  /** Breaking changes the changelog does not list. */
  readonly unlisted: readonly Change[];
  readonly deprecations: readonly string[];
}

export async function checkSchema(released: string, current: string, changelog: string): Promise<SchemaCheck> {
  const currentSchema = sdlSchema(current);
  const changes = await diff(sdlSchema(released), currentSchema);
  const listed = listedBreakingChanges(changelog);
  const unlisted = changes.filter((change) => change.criticality.level === CriticalityLevel.Breaking && !listed.has(change.path ?? ''));
  return { changes, unlisted, deprecations: deprecationProblems(currentSchema) };
}

/** Directives placed on fields (the @pii / @notPersonal classification): counted, not listed, unless breaking. */
const isDirectiveUsage = (change: Change) => String(change.type).startsWith('DIRECTIVE_USAGE_');

function report(check: SchemaCheck): string {
  const listed = check.changes.filter((change) => change.criticality.level === CriticalityLevel.Breaking || (change.criticality.level === CriticalityLevel.Dangerous && !isDirectiveUsage(change)));
  const lines = listed.map((change) => {
    const level = change.criticality.level === CriticalityLevel.Breaking ? (check.unlisted.includes(change) ? 'BREAKING (not in CHANGELOG.md)' : 'breaking, listed') : 'dangerous';
    return `  ${level}: ${change.message}${change.path ? ` [${change.path}]` : ''}`;
  });
  const directives = check.changes.filter((change) => change.criticality.level !== CriticalityLevel.Breaking && isDirectiveUsage(change)).length;
  const safe = check.changes.filter((change) => change.criticality.level === CriticalityLevel.NonBreaking && !isDirectiveUsage(change)).length;
  const counts = `${safe} safe change(s) (additions, descriptions), ${directives} directive(s) placed or removed on fields (e.g. @pii classes)`;
  return `Since the released schema: ${counts}${lines.length > 0 ? `, and:\n${lines.join('\n')}` : ''}\n`;
}

async function main(command: string | undefined, options: { readonly released: string; readonly changelog: string }): Promise<number> {
  if (command === 'print') {
    writeFileSync(SCHEMA_FILE, currentSdl());
    process.stdout.write('schema.graphql written\n');
    return 0;
  }
  if (command !== 'check') {
    process.stderr.write('usage: npm run schema:print | npm run schema:check\n');
    return 64;
  }
  const committed = readFileSync(SCHEMA_FILE, 'utf8');
  if (committed !== currentSdl()) {
    process.stderr.write('schema.graphql is stale: run npm run schema:print and commit it.\n');
    return 1;
  }
  const check = await checkSchema(readFileSync(options.released, 'utf8'), committed, readFileSync(options.changelog, 'utf8'));
  process.stdout.write(report(check));
  for (const problem of check.deprecations) process.stderr.write(`${problem}\n`);
  if (check.unlisted.length > 0) {
    process.stderr.write(
      `${check.unlisted.length} breaking change(s) are not listed under "### Breaking" in the Unreleased section of CHANGELOG.md ` +
        '(a bullet naming the coordinate in backticks, e.g. - `Customer.email`: why and what clients do). ' +
        'List them there, or make the change additive (a new field, @deprecated on the old one).\n',
    );
  }
  return check.unlisted.length > 0 || check.deprecations.length > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { released: { type: 'string', default: RELEASED_FILE }, changelog: { type: 'string', default: CHANGELOG_FILE } },
  });
  main(positionals[0], { released: values.released, changelog: values.changelog }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`schema ${process.argv[2] ?? ''} failed: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
