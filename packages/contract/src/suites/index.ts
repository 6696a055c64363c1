import type { AdapterHarness } from '../harness.js';
import { errorsSuite } from './errors.js';
import { generateSuite } from './generate.js';
import { limitsSuite } from './limits.js';

/** One contract suite: registers its `describe` blocks for a harness. */
export type ContractSuite = (harness: AdapterHarness) => void;

/**
 * Every suite `runContract` runs, in order. To add one, write `suites/<name>.ts` exporting a
 * `ContractSuite` and append it here.
 */
export const SUITES: ContractSuite[] = [generateSuite, errorsSuite, limitsSuite];
