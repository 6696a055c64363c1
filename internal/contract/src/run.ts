import { describe } from 'vitest';
import type { AdapterHarness } from './harness.js';
import { SUITES } from './suites/index.js';

/** Runs every registered contract suite against one adapter, over real HTTP. */
export function runContract(harness: AdapterHarness): void {
  describe(`contract: ${harness.name}`, () => {
    for (const suite of SUITES) suite(harness);
  });
}
