import { readFileSync, writeFileSync } from 'node:fs';
import { compileModel, matchModelSchema } from './model.js';
import type { CompiledModel, MatchModel } from './model.js';
import { projectPath } from '../projectRoot.js';

/** The model shipped with the repository; `npm run resolution:train` rewrites it. */
export const DEFAULT_MATCH_MODEL_FILE = projectPath('config', 'match-model.json');

/** The model file cannot be used: unreadable, not JSON, not the schema, or trained by another version. */
export class MatchModelFileError extends Error {}

/**
 * Reads and validates a model file (zod, then the level lists against this
 * version's comparisons) and compiles it for scoring. Errors name the file
 * and the path inside it, never a value.
 */
export function loadMatchModel(file: string = DEFAULT_MATCH_MODEL_FILE): CompiledModel {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new MatchModelFileError(`match model ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'not readable as JSON'}`);
  }
  const parsed = matchModelSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MatchModelFileError(`match model ${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  try {
    return compileModel(parsed.data);
  } catch (error) {
    throw new MatchModelFileError(`${(error as Error).message} (${file})`);
  }
}

/** Writes a model as indented JSON whose short parts (a level, a rule) stay on one line, so a retrain's diff reads like a table. */
export function writeMatchModel(file: string, model: MatchModel): void {
  writeFileSync(file, `${formatJson(model, '')}\n`);
}

const LINE = 120;

function formatJson(value: unknown, indent: string): string {
  const inline = JSON.stringify(value, null, 1).replace(/\n\s*/g, ' ').replace(/([[{]) /g, '$1').replace(/ ([\]}])/g, '$1');
  if (value === null || typeof value !== 'object' || indent.length + inline.length <= LINE) return inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((item) => inner + formatJson(item, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return `{\n${entries.map(([key, v]) => `${inner}${JSON.stringify(key)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
}
