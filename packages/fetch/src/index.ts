// What a host needs to configure the kit, so one import is enough: a chosen list of the core's
// names, kept in `@twofa-kit/core/host` for every adapter. Anything else is imported from
// `@twofa-kit/core` (or its subpaths) directly.

/** The client address behind trusted reverse proxies (`X-Forwarded-For`, read from the right). */
export { forwardedAddress } from '@twofa-kit/core/adapter';
export * from '@twofa-kit/core/host';
export {
  type TwoFaFetchContext,
  type TwoFaFetchFallback,
  type TwoFaFetchHandler,
  type TwoFaFetchOptions,
  type TwoFaFetchSettings,
  twoFaFetch,
} from './handler.js';
