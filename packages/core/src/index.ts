export {
  type AuthFailureLimit,
  type AuthFailureLimitOptions,
  clientBucket,
  clientBuckets,
  DEFAULT_AUTH_FAILURE_LIMIT,
  IPV6_PREFIX_BUDGETS,
  SHARED_STATE_REUSE_MS,
} from './auth-guard.js';
export { bodyParams, mediaType, parseRawBody, readStream } from './body.js';
export { CONTENT_TYPE, type Envelope, envelope, errorEnvelope } from './envelope.js';
export { ERROR_KINDS, type ErrorKind, TwoFaConfigError, TwoFaError } from './errors.js';
export type { TwoFaEvent, TwoFaEventType } from './events.js';
export { createTwoFa, type TwoFa } from './handler.js';
export {
  CACHED_KEYS_DEFAULTS,
  type CachedKeyStore,
  type CachedKeysOptions,
  cachedKeys,
  hashedKeys,
  type LookupByHash,
} from './key-stores.js';
export { hashKey, MAX_API_KEY_LENGTH, parseKeyList, type StaticKeyTable, staticKeys } from './keys.js';
export {
  envelopeSchema,
  errorEnvelopeSchema,
  type FastifyRouteSchema,
  OPENAPI_INFO,
  type OpenApiSettings,
  openApiDocument,
  openApiSettings,
  paramSchema,
  REQUEST_CONTENT_TYPES,
  routeErrorKinds,
  routeJsonSchemas,
  routeStatuses,
} from './openapi.js';
export {
  DEFAULT_BODY_LIMIT,
  DEFAULT_PREFIX,
  normalisePrefix,
  type ResolvedConfig,
  type TwoFaOptions,
} from './options.js';
export type { ParamDef } from './params.js';
export { checkPlan, DEFAULT_PLANS, type PlanTable, resolvePlans, WINDOWS } from './plans.js';
export { policyHeader, rateLimitHeader } from './ratelimit.js';
export { REDACTED, REDACTED_QUERY_PARAMS, redactUrl } from './redact.js';
export { ROUTES } from './routes/index.js';
export type { JsonSchema, RouteContext, RouteDef, RouteMethod, RouteOutcome } from './routes/types.js';
export { decodeSecret, encodeBase32, MAX_SECRET_CHARS, MAX_SECRET_INPUT_LENGTH, MIN_SECRET_CHARS } from './secret.js';
export { MemoryGuardCounter, OVERFLOW_BUCKET } from './stores/guard-memory.js';
export type { GuardBucket, GuardCounter, GuardState } from './stores/guard-types.js';
export { DEFAULT_MAX_IDENTITIES, MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export {
  DEFAULT_REDIS_COOLDOWN_MS,
  DEFAULT_REDIS_KEY_PREFIX,
  DEFAULT_REDIS_TIMEOUT_MS,
  type RedisClientLike,
  type RedisErrorPolicy,
  type RedisFailureReason,
  RedisStore,
  type RedisStoreFailure,
  type RedisStoreOptions,
} from './stores/redis.js';
export type { ConsumeResult, LimiterStore, WindowSpec, WindowState } from './stores/types.js';
export type { VerifyAttempt, VerifyMemory, VerifyRecord, VerifyRules } from './stores/verify-types.js';
export { CALENDAR_MONTH, windowEnd, windowStart } from './stores/windows.js';
export {
  ALGORITHMS,
  hotp,
  TOTP_BOUNDS,
  type TotpAlgorithm,
  type TotpEngine,
  type TotpParams,
  totpAt,
  verifyTotp,
} from './totp.js';
export type { BodySource, HeaderMap, Identity, PlanLimits, ResolveKey, TwoFaRequest, TwoFaResponse } from './types.js';
