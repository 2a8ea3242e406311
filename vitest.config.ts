import { defineConfig } from 'vitest/config';

/**
 * Integration tests whose answers go through GraphQL execution; `npm test`
 * runs them a second time under graphql-js's own executor (C360_EXECUTOR=stock),
 * so the fallback setting stays as correct as the default, graphql-jit.
 */
const EXECUTION_TESTS = ['test/read-path.test.ts', 'test/batching.test.ts', 'test/faults.test.ts', 'test/bad-input.test.ts', 'test/auth.test.ts'];

/**
 * The packaging and process tests: `npm run test:image` (and .ci/run, right after `npm test`), not
 * `npm test`, which stays under five minutes. They build, install and start the gateway as
 * processes (`npm start`, `npm ci --omit=dev`, signals to npm and node, the container image's steps).
 */
const IMAGE_TESTS = ['test/container-image.test.ts', 'test/runtime.test.ts', 'test/shutdown.test.ts'];

export default defineConfig({
  resolve: {
    // Vite would load graphql's ESM build while Apollo and graphql-tools load the
    // CommonJS one ("Cannot use GraphQLSchema from another module or realm").
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    // Builds web/dist (Vite) when its sources changed, for the page and browser tests.
    globalSetup: ['test/support/buildWebOnce.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest leaves one core free by default, which on CI's two cores runs
    // every file one after another; the suite waits on I/O enough to use both.
    // (Three workers measured no faster on two cores, and the flood tests' time checks failed.)
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          // Files share a worker's module cache: importing the gateway (Apollo,
          // the AWS SDK, dynalite) costs about 2 s per file, half the suite's
          // time when isolated. Tests restore any global they touch (only
          // OTEL_EXPORTER_OTLP_ENDPOINT, in telemetry.test.ts) and close what
          // they start. The stock-executor project stays isolated, so a module
          // that read C360_EXECUTOR under one project is never reused by the other.
          isolate: false,
          include: ['test/**/*.test.ts', 'src/**/*.test.ts', 'connectors/**/*.test.ts', 'resolvers/**/*.test.ts', 'bench/**/*.test.ts'],
          exclude: [...IMAGE_TESTS],
        },
      },
      {
        extends: true,
        test: {
          // The container image's steps performed for real (three npm installs and a build:
          // about 2.5 minutes on two cores): `npm run test:image`, which .ci/run runs after `npm test`.
          name: 'image',
          include: [...IMAGE_TESTS],
        },
      },
      {
        extends: true,
        test: {
          name: 'stock-executor',
          include: EXECUTION_TESTS,
          env: { C360_EXECUTOR: 'stock' },
        },
      },
    ],
  },
});
