import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Import workspace packages from their TypeScript sources (the "source" export condition),
    // so tests never run against a stale build.
    conditions: ['source'],
  },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
