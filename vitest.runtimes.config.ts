import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// The contract suite run by Bun or Deno themselves (`bun --bun vitest run --config
// vitest.runtimes.config.ts bun`); internal/contract/test/runtimes.test.ts starts both.
export default mergeConfig(
  base,
  defineConfig({ test: { include: ['internal/contract/runtimes/*.contract.ts'] } }),
  false,
);
