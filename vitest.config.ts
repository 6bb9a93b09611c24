import { configDefaults, defineConfig } from 'vitest/config';

// One config for every suite. Integration tests name the real part they need
// (`*.podman.test.ts`, `*.pg.test.ts`, ...) so scripts/test.sh can select them.
// Two projects: `default` (everything as before) and `k8s` (`*.k8s.test.ts`, against a real
// Kubernetes control plane built by test/cluster/). `npx vitest run` runs both;
// `npx vitest run --project k8s` only the cluster tests. A project's globalSetup runs only when
// that project has test files in the run, so the cluster is never started for other suites.
export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'test/**/*.test.ts',
      // Web components: each file picks its DOM with `// @vitest-environment happy-dom`.
      'apps/web/src/**/*.test.tsx',
    ],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'default',
          exclude: [...configDefaults.exclude, '**/*.k8s.test.ts'],
          // A throw-away PostgreSQL (or APERTURE_TEST_DATABASE_URL) for the storage contract suite.
          // (Here rather than at the root: a root globalSetup would also run for the k8s project.)
          globalSetup: ['test/setup/postgres.ts'],
        },
      },
      {
        // Not `extends: true`: that would merge the root `include` into this project's.
        test: {
          name: 'k8s',
          include: [
            'packages/*/src/**/*.k8s.test.ts',
            'apps/*/src/**/*.k8s.test.ts',
            'test/**/*.k8s.test.ts',
          ],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          pool: 'forks',
          // A real cluster from test/cluster/ (or KUBECONFIG_APERTURE_TEST); builds it on first use.
          globalSetup: ['test/setup/k8s.ts'],
        },
      },
    ],
  },
});
