import { defineConfig } from 'vitest/config';

// One config for every suite. Integration tests name the real part they need
// (`*.podman.test.ts`, `*.pg.test.ts`, ...) so scripts/test.sh can select them.
export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // A throw-away PostgreSQL (or APERTURE_TEST_DATABASE_URL) for the storage contract suite.
    globalSetup: ['test/setup/postgres.ts'],
  },
});
