import { readFileSync } from 'node:fs';
import type { z } from 'zod';

/**
 * The JSON files an operator edits (the privacy policy, the tracking plan,
 * segment definitions): read, then validated by their zod schema, with an
 * error that names the file and the path of each problem.
 */
export interface ConfigFileKind {
  /** How messages name the file: `Policy file`, `Tracking plan`, … */
  readonly title: string;
  /** The error thrown for a bad file. */
  readonly error: (message: string) => Error;
  /** A line added after the problems (where the format is documented). */
  readonly hint?: string;
}

/** Reads `file` as JSON; an unreadable file or bad JSON throws the kind's error. */
export function readConfigJson(file: string | URL, kind: ConfigFileKind): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw kind.error(`${kind.title} ${String(file)} is not readable JSON: ${(error as Error).message}`);
  }
}

/** Validates a file's contents; an invalid one throws the kind's error listing every problem by its path. */
export function parseConfigFile<S extends z.ZodType>(schema: S, raw: unknown, source: string, kind: ConfigFileKind): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${issuePath(issue)}: ${issue.message}`).join('\n');
  throw kind.error(`${kind.title} ${source} is invalid:\n${problems}${kind.hint ? `\n${kind.hint}` : ''}`);
}

function issuePath(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  // zod reports unknown keys on the parent; naming them is what helps.
  if (issue.code === 'unrecognized_keys') path.push(issue.keys.join(','));
  return path.join('.') || '(file)';
}
