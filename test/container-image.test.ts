import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APOLLO_PATCH, apolloGatewayContextPatched } from '../src/graphql/apolloPatch.js';
import { cleanEnv, commandLine, descendants, freePort, run, startServer } from './support/commands.js';
import type { Server } from './support/commands.js';
import { contextFiles, copySteps, execForm, isIgnored, performCopy, readDockerfile, stageEnv } from './support/dockerfile.js';
import type { Stage } from './support/dockerfile.js';
import { withoutTraceId } from './support/gateway.js';
import { ROOT, TEST_SOURCE_TIMEOUT_MS } from './support/process.js';

/**
 * No container runtime can run on the machines that test this project, so
 * this file performs the image's steps without one, from the Dockerfile
 * itself: the build context that .dockerignore lets through, each stage's
 * COPY into a fresh directory, its `npm` RUN steps as written, then the
 * runtime stage's ENTRYPOINT and CMD with the image's environment, checked
 * over HTTP. A RUN step that is not an npm command must be one of the few
 * below, each with the reason it is not run here.
 *
 * The same build directory then serves as a user's checkout for `npm start`
 * (the production build: compiled JavaScript, rebuilt when stale, and
 * working after `npm ci --omit=dev`).
 *
 * Two settings differ from the image, both places rather than behaviour:
 * C360_PORT is a free port (4000 may be taken) and C360_DATA_DIR a
 * temporary directory standing for /var/lib/c360.
 */
const { dockerfile, ignore } = readDockerfile(ROOT);
const [buildStage, runtimeStage] = dockerfile.stages as [Stage, Stage];
const imageEnv = stageEnv(runtimeStage);
const WORK = mkdtempSync(join(tmpdir(), 'c360-image-'));
const BUILD_DIR = join(WORK, 'build', 'app');
const RUNTIME_DIR = join(WORK, 'runtime', 'app');
const DATA_DIR = join(WORK, 'runtime', 'var-lib-c360');

/** RUN commands that are not npm commands, and why this test does not run them. */
const NOT_RUN_HERE: ReadonlyArray<readonly [RegExp, string]> = [
  [/^apt-get update$/, 'Debian package lists: the test machine has its own'],
  [/^apt-get install -y --no-install-recommends tini$/, 'tini: installed on this machine by .ci/run, and used below when present'],
  [/^rm -rf \/var\/lib\/apt\/lists\/\*$/, 'cleans the image layer of package lists'],
  [/^mkdir -p \/var\/lib\/c360$/, 'the data directory: a temporary directory stands for it'],
  [/^chown 1000:1000 \/var\/lib\/c360$/, 'ownership for the non-root user: the test runs as its own user'],
];

/** Every npm command of a stage's RUN steps, in order; the rest must be in NOT_RUN_HERE. */
function npmCommands(stage: Stage): string[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'RUN')
    .flatMap((instruction) => instruction.args.split('&&').map((command) => command.trim()))
    .filter((command) => {
      if (command.startsWith('npm ')) return true;
      if (!NOT_RUN_HERE.some(([pattern]) => pattern.test(command))) throw new Error(`RUN ${command}: not an npm command and not listed in NOT_RUN_HERE`);
      return false;
    });
}

/** npm as a user would run it, from the local cache where it can (the packages are the lockfile's either way). */
const npmEnv = () => cleanEnv({ npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' });

async function runNpmSteps(stage: Stage, dir: string): Promise<void> {
  for (const command of npmCommands(stage)) {
    const result = await run(command, dir, { ...npmEnv(), ...stageEnv(stage) });
    if (result.code !== 0) throw new Error(`${command} failed (${String(result.code)}):\n${result.stdout}\n${result.stderr}`);
  }
}

const SUPPORT_QUERY = '{ customer(id: "cus_demo_customer") { id profile { firstName } loyalty { tier } } }';
const SUPPORT_ANSWER = {
  data: { customer: { id: 'cus_demo_customer', profile: { firstName: 'Dana' }, loyalty: { tier: 'Gold' } } },
  extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
};

async function supportQuery(url: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'c360_demo_support', 'x-c360-purpose': 'support' },
    body: JSON.stringify({ query: SUPPORT_QUERY }),
  });
  return { status: response.status, body: withoutTraceId((await response.json()) as { extensions?: Record<string, unknown> }) };
}

const started: Server[] = [];
afterAll(async () => {
  for (const server of started) {
    for (const pid of descendants(server.child.pid!)) process.kill(pid, 'SIGKILL');
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
  rmSync(WORK, { recursive: true, force: true });
});

describe('the Dockerfile, read', () => {
  it('builds on Debian slim Node.js, the version in .node-version, in both stages', () => {
    const pinned = readFileSync(join(ROOT, '.node-version'), 'utf8').trim();
    expect(dockerfile.globalArgs.NODE_VERSION).toBe(pinned);
    expect(dockerfile.stages.map((stage) => stage.base)).toEqual([`node:${pinned}-trixie-slim`, `node:${pinned}-trixie-slim`]);
    expect(buildStage.name).toBe('build');
  });

  it('copies only sources that exist and that .dockerignore lets into the build context', () => {
    const local = [...copySteps(buildStage), ...copySteps(runtimeStage)].filter((step) => step.from === undefined).flatMap((step) => step.sources);
    expect(local.length).toBeGreaterThan(5);
    for (const source of local) {
      expect(existsSync(join(ROOT, source)), `COPY ${source}`).toBe(true);
      expect(isIgnored(ignore, source), `COPY ${source} is left out by .dockerignore`).toBe(false);
    }
    const fromBuild = copySteps(runtimeStage).filter((step) => step.from !== undefined);
    expect(fromBuild.map((step) => [step.from, step.sources])).toEqual([
      ['build', ['/app/dist']],
      ['build', ['/app/web/dist']],
    ]);
  });

  it('keeps secrets, local data, dependencies and earlier builds out of the build context', () => {
    for (const path of ['.env', '.git', 'node_modules/fastify/package.json', '.c360-data/x', 'dist/src/main.js', 'web/dist/console/index.html', 'src/errors.test.ts', 'coverage/x', 'bench/results/x.json', 'test/support/gateway.ts']) {
      expect(isIgnored(ignore, path), path).toBe(true);
    }
    expect(isIgnored(ignore, 'src/main.ts')).toBe(false);
  });

  it('runs as a non-root user by number, under tini, listening on every interface, with a health check on /healthz', () => {
    const users = runtimeStage.instructions.filter((i) => i.keyword === 'USER').map((i) => i.args);
    expect(users).toEqual(['1000:1000']);
    const entrypoint = execForm(runtimeStage.instructions.find((i) => i.keyword === 'ENTRYPOINT')!.args);
    expect(entrypoint).toEqual(['/usr/bin/tini', '--']);
    expect(runtimeStage.instructions.some((i) => i.keyword === 'RUN' && i.args.includes('install -y --no-install-recommends tini'))).toBe(true);
    expect(imageEnv).toMatchObject({ C360_HOST: '0.0.0.0', C360_PORT: '4000', NODE_ENV: 'production' });
    expect(runtimeStage.instructions.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args)).toEqual([imageEnv.C360_PORT]);
    const healthcheck = runtimeStage.instructions.find((i) => i.keyword === 'HEALTHCHECK')!;
    expect(execForm(healthcheck.args).join(' ')).toContain('/healthz');
    expect(execForm(runtimeStage.instructions.find((i) => i.keyword === 'CMD')!.args)).toEqual(['node', 'dist/src/main.js']);
  });
});

describe('the image, performed without a container runtime', () => {
  it('build stage: the context, npm ci and npm run build', { timeout: 600_000 }, async () => {
    const files = new Set(contextFiles(ROOT, ignore));
    expect(files.has('src/main.ts')).toBe(true);
    mkdirSync(BUILD_DIR, { recursive: true });
    // Each COPY followed by the RUN steps after it, in the Dockerfile's order.
    for (const instruction of buildStage.instructions) {
      if (instruction.keyword === 'COPY') {
        const [step] = copySteps({ ...buildStage, instructions: [instruction] });
        performCopy(step!, BUILD_DIR, { dir: ROOT, files });
      }
      if (instruction.keyword === 'RUN') await runNpmSteps({ ...buildStage, instructions: [instruction] }, BUILD_DIR);
    }
    expect(statSync(join(BUILD_DIR, 'dist', 'src', 'main.js')).isFile()).toBe(true);
    expect(statSync(join(BUILD_DIR, 'web', 'dist', 'console', 'index.html')).isFile()).toBe(true);
  });

  it('runtime stage: production dependencies only, the build, then ENTRYPOINT + CMD answer /readyz, a query and the HEALTHCHECK, and drain on SIGTERM', { timeout: 600_000 }, async () => {
    const files = new Set(contextFiles(ROOT, ignore));
    mkdirSync(RUNTIME_DIR, { recursive: true });
    mkdirSync(DATA_DIR, { recursive: true });
    for (const instruction of runtimeStage.instructions) {
      if (instruction.keyword === 'COPY') {
        const [step] = copySteps({ ...runtimeStage, instructions: [instruction] });
        performCopy(step!, RUNTIME_DIR, step!.from === 'build' ? { dir: BUILD_DIR } : { dir: ROOT, files });
      }
      if (instruction.keyword === 'RUN') await runNpmSteps({ ...runtimeStage, instructions: [instruction] }, RUNTIME_DIR);
    }
    // Production dependencies only: the development tools are not there.
    for (const devTool of ['tsx', 'typescript', 'vite', 'vitest', 'react']) expect(existsSync(join(RUNTIME_DIR, 'node_modules', devTool)), devTool).toBe(false);
    expect(existsSync(join(RUNTIME_DIR, 'src'))).toBe(false);
    // npm ci applied patches/ (package.json's postinstall) to the production dependencies too.
    expect(apolloGatewayContextPatched(RUNTIME_DIR), `${APOLLO_PATCH} in the runtime stage`).toBe(true);

    const port = await freePort();
    const env = cleanEnv({ ...imageEnv, C360_PORT: String(port), C360_DATA_DIR: DATA_DIR, C360_SOURCE_TIMEOUT_MS: TEST_SOURCE_TIMEOUT_MS });
    const entrypoint = execForm(runtimeStage.instructions.find((i) => i.keyword === 'ENTRYPOINT')!.args);
    const cmd = execForm(runtimeStage.instructions.find((i) => i.keyword === 'CMD')!.args);
    const tini = existsSync(entrypoint[0]!);
    if (!tini) console.warn(`[container image] ${entrypoint[0]} is not installed here (.ci/run installs it): running CMD without its ENTRYPOINT`);
    const command = tini ? [...entrypoint, ...cmd] : cmd;
    const server = startServer(command[0]!, command.slice(1), RUNTIME_DIR, env);
    started.push(server);
    const url = await server.listening();
    expect(url).toBe(`http://0.0.0.0:${port}`);
    const local = `http://127.0.0.1:${port}`;

    const ready = await fetch(`${local}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ready', down: [] } });
    expect(await supportQuery(local)).toEqual({ status: 200, body: SUPPORT_ANSWER });
    expect((await fetch(`${local}/console`)).status).toBe(200);

    const healthcheck = execForm(runtimeStage.instructions.find((i) => i.keyword === 'HEALTHCHECK')!.args);
    const healthy = await run(healthcheck.map((part) => `'${part.replaceAll("'", `'\\''`)}'`).join(' '), RUNTIME_DIR, env);
    expect(healthy.code).toBe(0);

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.logs().map((line) => line.msg)).toEqual(expect.arrayContaining(['shutting down: draining requests', 'shut down cleanly']));
    expect(server.logs().map((line) => line.msg).filter((msg) => String(msg).includes('without the patch'))).toEqual([]);
    const unhealthy = await run(healthcheck.map((part) => `'${part.replaceAll("'", `'\\''`)}'`).join(' '), RUNTIME_DIR, env);
    expect(unhealthy.code).toBe(1);
    // The embedded data went to the image's data directory (LevelDB under dynamodb/), not into the application's.
    expect(readdirSync(DATA_DIR)).toContain('dynamodb');
    expect(existsSync(join(RUNTIME_DIR, '.c360-data'))).toBe(false);
  });
});

describe('npm start runs the compiled build (in the build stage directory, a checkout with every dependency)', () => {
  const startEnv = async () => cleanEnv({ C360_PORT: String(await freePort()), C360_DATA_DIR: 'memory', C360_DEMO_CUSTOMERS: '10', C360_SOURCE_TIMEOUT_MS: TEST_SOURCE_TIMEOUT_MS });

  /** `npm start` until it listens; returns the server and the gateway's own command line. */
  async function npmStart(): Promise<{ server: Server; url: string; gatewayCommand: string[] }> {
    const server = startServer('npm', ['start'], BUILD_DIR, await startEnv());
    started.push(server);
    const url = await server.listening();
    const gateway = descendants(server.child.pid!).map(commandLine).find((line) => line?.some((part) => part.endsWith('main.js') || part.endsWith('main.ts')));
    return { server, url, gatewayCommand: gateway ?? [] };
  }

  async function stop(server: Server): Promise<void> {
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }

  it('runs node on dist/src/main.js, with no TypeScript loader, and stops on SIGTERM', { timeout: 180_000 }, async () => {
    // A checkout also holds the files the server reads at run time, which the build stage does not need.
    for (const dir of ['config', 'schema']) cpSync(join(ROOT, dir), join(BUILD_DIR, dir), { recursive: true });
    const { server, url, gatewayCommand } = await npmStart();
    expect(gatewayCommand.slice(1)).toEqual(['--env-file-if-exists=.env', 'dist/src/main.js']);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(server.stdout.join('\n')).not.toContain('server compiled into dist');
    await stop(server);
  });

  it('compiles again first when a source changed since the build', { timeout: 180_000 }, async () => {
    appendFileSync(join(BUILD_DIR, 'src', 'main.ts'), '\n// changed after the build\n');
    const { server, url, gatewayCommand } = await npmStart();
    expect(server.stdout.join('\n')).toContain('server compiled into dist');
    expect(readFileSync(join(BUILD_DIR, 'dist', 'src', 'main.js'), 'utf8')).toContain('// changed after the build');
    expect(gatewayCommand.at(-1)).toBe('dist/src/main.js');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await stop(server);
  });

  it('works after npm ci --omit=dev, and says what to do when the build is stale there', { timeout: 600_000 }, async () => {
    // npm prune --omit=dev leaves the tree npm ci --omit=dev installs (the runtime stage above runs that
    // very command from a clean directory), without downloading and unpacking every package again.
    const install = await run('npm prune --omit=dev --no-audit --no-fund', BUILD_DIR, npmEnv());
    expect(install.code, install.stderr).toBe(0);
    for (const devTool of ['tsx', 'typescript', 'vite']) expect(existsSync(join(BUILD_DIR, 'node_modules', devTool)), devTool).toBe(false);

    const { server, url } = await npmStart();
    const ready = await fetch(`${url}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ready', down: [] } });
    await stop(server);

    appendFileSync(join(BUILD_DIR, 'src', 'main.ts'), '\n// changed where TypeScript is not installed\n');
    const stale = await run('npm start', BUILD_DIR, await startEnv());
    expect(stale.code).not.toBe(0);
    expect(stale.stderr).toContain(
      'server build failed: dist/ is missing or older than the sources, and TypeScript (a development dependency) is not installed here. Build where development dependencies are installed (npm ci && npm run build), then install with --omit=dev.',
    );
  });
});
