// What a host needs to configure the kit (the core's root entry point), so one import is enough.
export * from '@twofa-kit/core';
export {
  type TwoFaFetchContext,
  type TwoFaFetchFallback,
  type TwoFaFetchHandler,
  type TwoFaFetchOptions,
  type TwoFaFetchSettings,
  twoFaFetch,
} from './handler.js';
