export { ADAPTERS } from './adapters.js';
export {
  type AdapterHarness,
  EXPRESS,
  FASTIFY,
  FETCH,
  fetchHost,
  HONO,
  HOST_ROUTES,
  type HostSetup,
  honoHost,
  KOA,
  type RunningServer,
} from './harness.js';
export * from './helpers.js';
export {
  type AdapterMounts,
  generateForm,
  type MountedApp,
  mountingSuite,
  serverPool,
  unknownOptionsSuite,
} from './mounting.js';
export { NEST_EXPRESS, NEST_FASTIFY } from './nest.js';
export { NEXT } from './next.js';
export { runContractOnRedis } from './redis.js';
export { runContract } from './run.js';
export { FETCH_BUN, FETCH_DENO, HONO_BUN, HONO_DENO } from './runtimes.js';
export { type ContractSuite, SUITES } from './suites/index.js';
