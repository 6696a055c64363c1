import { type AdapterHarness, EXPRESS, FASTIFY, FETCH, HONO, KOA } from './harness.js';
import { NEST_EXPRESS, NEST_FASTIFY } from './nest.js';

/** Every adapter the alike suite compares and the hardening tests attack. */
export const ADAPTERS: readonly AdapterHarness[] = [FASTIFY, KOA, EXPRESS, NEST_EXPRESS, NEST_FASTIFY, FETCH, HONO];
