// What a host needs to configure the kit (the core's root entry point), so one import is enough.

/** Either the core's options, or a core built elsewhere (so several apps can share one). */
export type { TwoFaSource as TwoFaModuleOptions } from '@twofa-kit/core';
export * from '@twofa-kit/core';
export { TWOFA, TWOFA_OPTIONS, TwoFaModule, type TwoFaModuleAsyncOptions } from './module.js';
