// What a host needs to configure the kit (the core's root entry point), so one import is enough.
export * from '@twofa-kit/core';
export { type TwoFaApp, type TwoFaAppOptions, type TwoFaAppSettings, twoFaApp } from './app.js';
