import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Import workspace packages from their TypeScript sources (the "source" export condition),
    // so tests never run against a stale build.
    conditions: ['source'],
  },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'internal/*/test/**/*.test.ts',
      'internal/integration-tests/**/*.test.ts',
      'internal/consumer-tests/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One test file at a time: the Redis, multi-process and outage suites start real servers and
    // time budgets (250 ms per Redis call); on a 2-core machine parallel files would only compete
    // for the CPU and turn budgets into flakes. The whole suite is ~2 minutes either way.
    fileParallelism: false,
  },
});
