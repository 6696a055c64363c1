import type { LimiterStore } from './types.js';

// The Redis store's public options and the types of its outage reports (the store: redis.ts).

/**
 * What the store needs of an ioredis client. Both `Redis` and `Cluster` from ioredis (5 or 6)
 * fit; the core has no runtime dependency on ioredis and does not even need its types.
 */
export interface RedisClientLike {
  /** ioredis connection status: commands are sent only while it is `ready`. */
  readonly status: string;
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
  connect?(): Promise<unknown>;
}

/**
 * What happens to a limiter call when Redis is down, slow or failing:
 * - `fallback` (default): a local in-memory limiter answers (limits then hold per instance, not
 *   for the fleet, until Redis is back);
 * - `open`: the request is admitted and counted nowhere (windows report full `remaining`);
 * - `closed`: the call throws `TwoFaError('UNAVAILABLE')`, which `handle()` answers with the 503
 *   envelope.
 */
export type RedisErrorPolicy = 'fallback' | 'open' | 'closed';

/** Why a call did not get its answer from Redis. */
export type RedisFailureReason =
  /** The client is not connected (`status !== 'ready'`): nothing was sent. */
  | 'not_ready'
  /** No reply within `timeoutMs`. */
  | 'timeout'
  /** A recent timeout: Redis is skipped for `cooldownMs` instead of queueing more calls on it. */
  | 'cooldown'
  /** Redis answered with an error, or the connection failed. */
  | 'error';

/** Passed to `onError`. Never carries a key, an identity or a key name. */
export interface RedisStoreFailure {
  readonly operation: 'consume' | 'peek' | 'verify' | 'auth' | 'refund';
  readonly reason: RedisFailureReason;
  readonly policy: RedisErrorPolicy;
  /** The error message (for `error` and `timeout`). */
  readonly message?: string;
}

export interface RedisStoreOptions {
  /** Required. An ioredis `Redis` or `Cluster`, created and closed by the host. */
  client: RedisClientLike;
  /** Prefix of every key name, without `{` or `}`. Default `twofa:`. */
  keyPrefix?: string;
  /** Time budget of one limiter call, in ms; past it the policy applies. Default 250. */
  timeoutMs?: number;
  /** What to do when Redis is down, slow or failing. Default `fallback`. */
  onRedisError?: RedisErrorPolicy;
  /** After a timeout, calls skip Redis for this long (ms) and use the policy. Default 1000. */
  cooldownMs?: number;
  /** The local limiter for `fallback`. Default a `MemoryStore` on the `clock` below. */
  fallback?: LimiterStore;
  /** Local clock (Unix ms) for the fallback and `open` answers only. Default `Date.now`. */
  clock?: () => number;
  /** Called for each call answered by the policy instead of Redis. Its errors are ignored. */
  onError?: (failure: RedisStoreFailure) => void;
  /**
   * Limiter calls made within one event-loop turn go to Redis as one script run (a batch of at
   * most 64), instead of one round trip each: under load this halves the client's CPU per call.
   * Each call keeps its own answer, its own error and its own `timeoutMs`. Single server and
   * Sentinel only: on a Cluster each call is its own script run (the identities' keys lie in
   * different slots). Default `true`.
   */
  batch?: boolean;
  /**
   * Tests only: the time (Unix ms) the scripts (limits, failed-auth guard, verify memory) use
   * instead of Redis's `TIME`, so a test can move the clock across a month's end or a window. Never set it in production: instances would no longer agree
   * on time. Default none (Redis's `TIME` decides).
   */
  testClock?: () => number;
}

export const DEFAULT_REDIS_KEY_PREFIX = 'twofa:';
export const DEFAULT_REDIS_TIMEOUT_MS = 250;
export const DEFAULT_REDIS_COOLDOWN_MS = 1000;
/** Every option name, so a misspelt one is refused (a `Record`: a new option cannot be left out). */
export const REDIS_STORE_OPTION_NAMES = Object.keys({
  client: true,
  keyPrefix: true,
  timeoutMs: true,
  onRedisError: true,
  cooldownMs: true,
  fallback: true,
  clock: true,
  onError: true,
  batch: true,
  testClock: true,
} satisfies Record<keyof RedisStoreOptions, true>);
