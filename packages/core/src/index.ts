// The root entry point: what a host needs to configure and run the kit. Adapter authors find the
// route table and the request helpers in `@twofa-kit/core/adapter`, store authors the store
// interface in `@twofa-kit/core/store`, documentation helpers in `@twofa-kit/core/openapi`.
// Every runtime name here is pinned by test/public-interface.test.ts: adding one is a decision.

export type { TwoFaEvent, TwoFaEventType } from './events.js';
// The kit and its errors.
export { createTwoFa, type TwoFa } from './handler.js';
export type { Envelope } from './http/envelope.js';
export { ERROR_KINDS, type ErrorKind, TwoFaConfigError, type TwoFaConfigErrorCode, TwoFaError } from './http/errors.js';
// Logging without secrets.
export { REDACTED, redactUrl } from './http/redact.js';
// The failed-auth guard's options, and what a host reuses for limits of its own (a sign-in form):
// the client grouping and the guard itself (attempts in flight counted, IPv6 prefix budgets).
export {
  type AuthFailureLimit,
  type AuthFailureLimitOptions,
  type AuthGuard,
  createAuthGuard,
} from './keys/auth-guard.js';
// Key stores: `resolveKey` helpers.
export {
  type CachedKeyStore,
  type CachedKeysOptions,
  cachedKeys,
  hashedKeys,
  type LookupByHash,
} from './keys/cached-keys.js';
export { clientBucket } from './keys/client-buckets.js';
export { hashKey, parseKeyList, type StaticKeysOptions, type StaticKeyTable, staticKeys } from './keys/static-keys.js';
// Prepaid credits (the `costs` and `credits` options; balances live in the limiter store).
export type { CreditsOptions, RouteCosts } from './limits/credits.js';
// Plans and limiter stores.
export { checkPlan, DEFAULT_PLANS, type PlanTable, resolvePlans, WINDOWS } from './limits/plans.js';
export { MemoryStore, type MemoryStoreOptions } from './limits/stores/memory.js';
export {
  type RedisClientLike,
  type RedisErrorPolicy,
  type RedisFailureReason,
  RedisStore,
  type RedisStoreFailure,
  type RedisStoreOptions,
} from './limits/stores/redis.js';
export type { LimiterStore, TopUpResult, WindowSpec } from './limits/stores/types.js';
export type { TwoFaOptions } from './options.js';
// TOTP, for a host's own code paths and tests.
export { decodeSecret, encodeBase32 } from './otp/secret.js';
export {
  hotp,
  TOTP_BOUNDS,
  type TotpAlgorithm,
  type TotpEngine,
  type TotpParams,
  totpAt,
  verifyTotp,
} from './otp/totp.js';
export type { BodySource, HeaderMap, Identity, PlanLimits, ResolveKey, TwoFaRequest, TwoFaResponse } from './types.js';
