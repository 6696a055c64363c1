// The root entry point: what a host needs to configure and run the kit (and an adapter to translate
// for it). Documentation helpers are behind `@twofa-kit/core/openapi`.
export type { TwoFaEvent, TwoFaEventType } from './events.js';
export { createTwoFa, type TwoFa } from './handler.js';
// What an adapter needs (ours and any a host writes for another framework): one place, no copies.
export {
  forwardedAddress,
  hostBody,
  splitUrl,
  type TwoFaSource,
  twoFaOf,
  webBody,
  webHeaders,
} from './http/adapter.js';
export type { Envelope } from './http/envelope.js';
export { ERROR_KINDS, type ErrorKind, TwoFaConfigError, TwoFaError } from './http/errors.js';
export type { ParamDef } from './http/params.js';
export { REDACTED, REDACTED_QUERY_PARAMS, redactUrl } from './http/redact.js';
export {
  type AuthFailureLimit,
  type AuthFailureLimitOptions,
  clientBucket,
  clientBuckets,
  DEFAULT_AUTH_FAILURE_LIMIT,
  IPV6_PREFIX_BUDGETS,
  NO_CLIENT_ADDRESS_CODE,
  SHARED_STATE_REUSE_MS,
} from './keys/auth-guard.js';
export {
  CACHED_KEYS_DEFAULTS,
  type CachedKeyStore,
  type CachedKeysOptions,
  cachedKeys,
  hashedKeys,
  type LookupByHash,
} from './keys/cached-keys.js';
export { hashKey, MAX_API_KEY_LENGTH, parseKeyList, type StaticKeyTable, staticKeys } from './keys/static-keys.js';
export { checkPlan, DEFAULT_PLANS, type PlanTable, resolvePlans, WINDOWS } from './limits/plans.js';
export { MemoryGuardCounter, OVERFLOW_BUCKET } from './limits/stores/guard-memory.js';
export type { GuardBucket, GuardCounter, GuardState } from './limits/stores/guard-types.js';
export { DEFAULT_MAX_IDENTITIES, MemoryStore, type MemoryStoreOptions } from './limits/stores/memory.js';
export {
  DEFAULT_REDIS_COOLDOWN_MS,
  DEFAULT_REDIS_KEY_PREFIX,
  DEFAULT_REDIS_TIMEOUT_MS,
  REDIS_BATCH_MAX,
  type RedisClientLike,
  type RedisErrorPolicy,
  type RedisFailureReason,
  RedisStore,
  type RedisStoreFailure,
  type RedisStoreOptions,
} from './limits/stores/redis.js';
export type { ConsumeResult, LimiterStore, WindowSpec, WindowState } from './limits/stores/types.js';
export type { VerifyAttempt, VerifyMemory, VerifyRecord, VerifyRules } from './limits/stores/verify-types.js';
export { CALENDAR_MONTH, windowEnd, windowStart } from './limits/stores/windows.js';
export {
  DEFAULT_BODY_LIMIT,
  DEFAULT_PREFIX,
  normalisePrefix,
  type ResolvedConfig,
  type TwoFaOptions,
} from './options.js';
export {
  decodeSecret,
  encodeBase32,
  MAX_SECRET_CHARS,
  MAX_SECRET_INPUT_LENGTH,
  MIN_SECRET_CHARS,
} from './otp/secret.js';
export {
  ALGORITHMS,
  hotp,
  TOTP_BOUNDS,
  type TotpAlgorithm,
  type TotpEngine,
  type TotpParams,
  totpAt,
  verifyTotp,
} from './otp/totp.js';
export { ROUTES } from './routes/index.js';
export type { JsonSchema, RouteContext, RouteDef, RouteMethod, RouteOutcome } from './routes/types.js';
export type { BodySource, HeaderMap, Identity, PlanLimits, ResolveKey, TwoFaRequest, TwoFaResponse } from './types.js';
