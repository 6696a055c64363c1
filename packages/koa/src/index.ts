// What a host needs to configure the kit (the core's root entry point), so one import is enough.
export * from '@twofa-kit/core';
export { type TwoFaRouter, type TwoFaRouterOptions, twoFaRouter } from './router.js';
