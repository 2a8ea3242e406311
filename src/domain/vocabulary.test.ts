import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GraphQLEnumType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildBaseSchema } from '../graphql/schema.js';
import { projectPath } from '../projectRoot.js';
import {
  CONSENT_STATUSES,
  EVENT_ORDERS,
  IDENTITY_LOG_KINDS,
  IDENTITY_TYPES,
  PII_CLASSES,
  PURPOSES,
  SUGGESTION_ORIGINS,
  SUGGESTION_STATUSES,
} from './vocabulary.js';

describe('the domain vocabulary', () => {
  const schema = buildBaseSchema();
  const enumValues = (name: string): string[] => {
    const type = schema.getType(name);
    if (!(type instanceof GraphQLEnumType)) throw new Error(`the schema has no enum ${name}`);
    return type.getValues().map((value) => value.name);
  };

  it.each([
    ['IdentityType', IDENTITY_TYPES],
    ['Purpose', PURPOSES],
    ['PiiClass', PII_CLASSES],
    ['ConsentStatus', CONSENT_STATUSES],
    ['EventOrder', EVENT_ORDERS],
    ['SuggestionStatus', SUGGESTION_STATUSES],
    ['SuggestionOrigin', SUGGESTION_ORIGINS],
  ] as const)('lists the values of the schema enum %s, in its order', (name, values) => {
    expect([...values]).toEqual(enumValues(name));
  });

  it('has every kind the schema shows of the identity log among its own (in lower case)', () => {
    for (const kind of enumValues('IdentityChangeKind')) expect(IDENTITY_LOG_KINDS).toContain(kind.toLowerCase());
  });

  it('imports nothing from connectors, GraphQL or Fastify', () => {
    const dir = projectPath('src/domain');
    const sources = readdirSync(dir).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
    expect(sources.length).toBeGreaterThan(3);
    for (const file of sources) {
      const imports = [...readFileSync(join(dir, file), 'utf8').matchAll(/from '([^']+)'/g)].map((match) => match[1]!);
      expect(imports.filter((target) => !target.startsWith('./')), file).toEqual([]);
    }
  });
});
