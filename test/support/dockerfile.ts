import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Just enough of Docker's build language to perform an image's steps
 * without a container runtime (test/container-image.test.ts): the
 * Dockerfile's stages and instructions, and the .dockerignore rules that
 * decide what the build context holds. Only the forms the project's
 * Dockerfile uses are read; anything else throws, so a new form cannot be
 * silently skipped.
 */
export interface Instruction {
  readonly keyword: string;
  /** Flags such as `--from=build` or `--mount=…`, by name. */
  readonly flags: Readonly<Record<string, string>>;
  readonly args: string;
}

export interface Stage {
  readonly name: string | undefined;
  readonly base: string;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  readonly globalArgs: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
}

const KNOWN = new Set(['ARG', 'FROM', 'WORKDIR', 'COPY', 'RUN', 'ENV', 'USER', 'EXPOSE', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD']);

/** Logical lines: comments dropped, `\` continuations joined. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    if (current === '' && /^\s*#/.test(raw)) continue;
    if (current !== '' && /^\s*#/.test(raw)) continue;
    const line = raw.replace(/\s+$/, '');
    if (line.endsWith('\\')) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    current += line;
    if (current.trim() !== '') lines.push(current.trim().replace(/\s+/g, ' '));
    current = '';
  }
  return lines;
}

function parseInstruction(line: string): Instruction {
  const [keyword = '', ...words] = line.split(' ');
  const upper = keyword.toUpperCase();
  if (!KNOWN.has(upper)) throw new Error(`Dockerfile: ${upper} is not read by test/support/dockerfile.ts`);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--') && upper !== 'HEALTHCHECK') {
    const [name, value = ''] = words.shift()!.slice(2).split(/=(.*)/s);
    flags[name!] = value;
  }
  if (upper === 'HEALTHCHECK') {
    while (words[0]?.startsWith('--')) {
      const [name, value = ''] = words.shift()!.slice(2).split(/=(.*)/s);
      flags[name!] = value;
    }
  }
  return { keyword: upper, flags, args: words.join(' ') };
}

function substitute(text: string, args: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_match, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    if (!(name in args)) throw new Error(`Dockerfile: $${name} has no value`);
    return args[name]!;
  });
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs: Record<string, string> = {};
  const stages: Array<{ name: string | undefined; base: string; instructions: Instruction[] }> = [];
  for (const line of logicalLines(text)) {
    const instruction = parseInstruction(line);
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(' ');
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : undefined, base: substitute(image, globalArgs), instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword !== 'ARG') throw new Error(`Dockerfile: ${instruction.keyword} before FROM`);
      const [name = '', value = ''] = instruction.args.split('=');
      globalArgs[name] = value;
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** `ENV A=1 B=2` pairs of a stage, in order (values without spaces or quotes, as this Dockerfile writes them). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { args } of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    for (const pair of args.split(' ')) {
      const [name, value] = pair.split(/=(.*)/s);
      if (!name || value === undefined || /["']/.test(value)) throw new Error(`Dockerfile: ENV ${pair} is not NAME=value`);
      env[name] = value;
    }
  }
  return env;
}

/** The exec (JSON) form of CMD, ENTRYPOINT or HEALTHCHECK CMD. */
export function execForm(args: string): string[] {
  const json = args.startsWith('CMD ') ? args.slice(4) : args;
  const parsed = JSON.parse(json) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string')) throw new Error(`Dockerfile: ${args} is not the exec form`);
  return parsed as string[];
}

export interface CopyStep {
  readonly from: string | undefined;
  readonly sources: readonly string[];
  readonly destination: string;
}

export function copySteps(stage: Stage): CopyStep[] {
  return stage.instructions
    .filter((i) => i.keyword === 'COPY')
    .map((i) => {
      const parts = i.args.split(' ');
      return { from: i.flags.from, sources: parts.slice(0, -1), destination: parts.at(-1)! };
    });
}

// .dockerignore ---------------------------------------------------------------

interface IgnoreRule {
  readonly negated: boolean;
  readonly pattern: RegExp;
  readonly text: string;
}

function patternRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      // `**/` is any number of directories, zero included; a trailing `**` anything below.
      if (pattern[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const text = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      return { negated, pattern: patternRegExp(text), text };
    });
}

/**
 * Docker's rule: a path is left out when the last rule that matches it, or
 * one of the directories above it, is not negated.
 */
export function isIgnored(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = path.split('/');
  const prefixes = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (prefixes.some((prefix) => rule.pattern.test(prefix))) ignored = !rule.negated;
  }
  return ignored;
}

/**
 * The build context's files under `root` (relative paths), as Docker would
 * send them. A directory that is left out and that no negated rule could
 * reach again (node_modules, .git) is not walked at all.
 */
export function contextFiles(root: string, rules: readonly IgnoreRule[]): string[] {
  const reachable = (dir: string) => rules.some((rule) => rule.negated && (rule.text === dir || rule.text.startsWith(`${dir}/`) || rule.text.startsWith('*')));
  const files: string[] = [];
  const walk = (relative: string) => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (isIgnored(rules, path) && !reachable(path)) continue;
        walk(path);
      } else if (!isIgnored(rules, path)) files.push(path);
    }
  };
  walk('');
  return files.sort();
}

/**
 * COPY as Docker does it: a file source lands inside a destination ending in
 * `/` (or under its own name when there are several sources), a directory
 * source's contents land in the destination. Only files of the context are
 * copied from the context; `--from` copies from another stage's directory.
 */
export function performCopy(step: CopyStep, stageDir: string, source: { readonly dir: string; readonly files?: ReadonlySet<string> }): void {
  const destination = join(stageDir, step.destination);
  for (const from of step.sources) {
    const path = join(source.dir, from.replace(/^\/app\/?/, ''));
    if (!existsSync(path)) throw new Error(`COPY ${from}: not found`);
    if (statSync(path).isDirectory()) {
      const prefix = from.replace(/^\.\/|\/$/g, '');
      cpSync(path, destination, {
        recursive: true,
        filter: (file) => {
          if (!source.files || statSync(file).isDirectory()) return true;
          return source.files.has(`${prefix}/${file.slice(path.length + 1)}`);
        },
      });
    } else {
      const name = from.split('/').at(-1)!;
      const target = step.destination.endsWith('/') || step.sources.length > 1 ? join(destination, name) : destination;
      if (source.files && !source.files.has(from)) throw new Error(`COPY ${from}: left out of the build context by .dockerignore`);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(path, target);
    }
  }
}

export function readDockerfile(root: string): { dockerfile: Dockerfile; ignore: IgnoreRule[] } {
  return {
    dockerfile: parseDockerfile(readFileSync(join(root, 'Dockerfile'), 'utf8')),
    ignore: parseDockerignore(readFileSync(join(root, '.dockerignore'), 'utf8')),
  };
}
