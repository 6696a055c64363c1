// What a host needs to configure the kit, so one import is enough: a chosen list of the core's
// names, kept in `@twofa-kit/core/host` for every adapter. Anything else is imported from
// `@twofa-kit/core` (or its subpaths) directly.

/** Either the core's options, or a core built elsewhere (so several apps can share one). */
export type { TwoFaSource as TwoFaRouterOptions } from '@twofa-kit/core/adapter';
export * from '@twofa-kit/core/host';
export { type TwoFaRouter, twoFaRouter } from './router.js';
