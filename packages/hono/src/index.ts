// What a host needs to configure the kit, so one import is enough: a chosen list of the core's
// names, kept in `@twofa-kit/core/host` for every adapter. Anything else is imported from
// `@twofa-kit/core` (or its subpaths) directly.
export * from '@twofa-kit/core/host';

export { type TwoFaApp, type TwoFaAppOptions, type TwoFaAppSettings, twoFaApp } from './app.js';
