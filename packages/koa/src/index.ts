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
export { type TwoFaRouter, type TwoFaRouterOptions, twoFaRouter } from './router.js';
