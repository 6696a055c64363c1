// The paid API's benchmarks run through vitest (TypeScript, the tests' PostgreSQL launcher) but are
// not tests: `pnpm --dir apps/paid-api bench:operators` runs them; `pnpm test` never does.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: { include: ['bench/**/*.bench-run.ts'], testTimeout: 900_000, hookTimeout: 900_000 },
});
