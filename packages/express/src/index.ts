// What a host needs to configure the kit, re-exported so one import is enough.
export type {
  CachedKeysOptions,
  Identity,
  LimiterStore,
  MemoryStoreOptions,
  PlanLimits,
  RedisStoreOptions,
  ResolveKey,
  TwoFa,
  TwoFaEvent,
  TwoFaOptions,
} from '@twofa-kit/core';
export {
  cachedKeys,
  createTwoFa,
  DEFAULT_PLANS,
  hashedKeys,
  hashKey,
  MemoryStore,
  RedisStore,
  staticKeys,
} from '@twofa-kit/core';
export { type TwoFaRouter, type TwoFaRouterOptions, twoFaRouter } from './router.js';
