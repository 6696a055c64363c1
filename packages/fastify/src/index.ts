export type {
  Identity,
  LimiterStore,
  PlanLimits,
  ResolveKey,
  TwoFa,
  TwoFaEvent,
  TwoFaOptions,
} from '@twofa-kit/core';
export { createTwoFa, MemoryStore, staticKeys } from '@twofa-kit/core';
export { type TwoFaPluginOptions, twoFaPlugin, twoFaPlugin as default } from './plugin.js';
