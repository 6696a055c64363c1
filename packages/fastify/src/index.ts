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
export { type TwoFaPluginOptions, twoFaFrameworkErrors, twoFaPlugin, twoFaPlugin as default } from './plugin.js';
