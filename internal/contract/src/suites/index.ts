import type { AdapterHarness } from '../harness.js';
import { alikeSuite } from './alike.js';
import { creditsSuite } from './credits.js';
import { errorsSuite } from './errors.js';
import { extensionsSuite } from './extensions.js';
import { generateSuite } from './generate.js';
import { hostSuite } from './host.js';
import { limitsSuite } from './limits.js';
import { rfc6238Suite } from './rfc6238.js';

/** One contract suite: registers its `describe` blocks for a harness. */
export type ContractSuite = (harness: AdapterHarness) => void;

/**
 * Every suite `runContract` runs, in order. To add one, write `suites/<name>.ts` exporting a
 * `ContractSuite` and append it here.
 */
export const SUITES: ContractSuite[] = [
  generateSuite,
  errorsSuite,
  limitsSuite,
  hostSuite,
  rfc6238Suite,
  alikeSuite,
  extensionsSuite,
  creditsSuite,
];
