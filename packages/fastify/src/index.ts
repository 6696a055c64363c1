// What a host needs to configure the kit (the core's root entry point), so one import is enough.
export * from '@twofa-kit/core';
export { type TwoFaPluginOptions, twoFaFrameworkErrors, twoFaPlugin, twoFaPlugin as default } from './plugin.js';
