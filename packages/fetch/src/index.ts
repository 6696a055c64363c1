// What a host needs to configure the kit, re-exported from `@twofa-kit/core` so one import is
// enough. A chosen list, not everything: pinned by test/public-interface.test.ts. Anything else
// is imported from `@twofa-kit/core` (or its subpaths) directly.
export {
  type AuthFailureLimitOptions,
  type CachedKeyStore,
  type CachedKeysOptions,
  cachedKeys,
  createTwoFa,
  DEFAULT_PLANS,
  ERROR_KINDS,
  type ErrorKind,
  hashedKeys,
  hashKey,
  type Identity,
  type LimiterStore,
  type LookupByHash,
  MemoryStore,
  type MemoryStoreOptions,
  type PlanLimits,
  RedisStore,
  type RedisStoreFailure,
  type RedisStoreOptions,
  type ResolveKey,
  redactUrl,
  type StaticKeyTable,
  staticKeys,
  type TwoFa,
  TwoFaConfigError,
  type TwoFaConfigErrorCode,
  TwoFaError,
  type TwoFaEvent,
  type TwoFaOptions,
} from '@twofa-kit/core';

/** The client address behind trusted reverse proxies (`X-Forwarded-For`, read from the right). */
export { forwardedAddress } from '@twofa-kit/core/adapter';
export {
  type TwoFaFetchContext,
  type TwoFaFetchFallback,
  type TwoFaFetchHandler,
  type TwoFaFetchOptions,
  type TwoFaFetchSettings,
  twoFaFetch,
} from './handler.js';
