import type { MaybePromise } from '../../types.js';

/** One budget of the failed-auth guard: a client's address or one of its IPv6 prefixes. */
export interface GuardBucket {
  /** The bucket's name (`203.0.113.7`, `2001:db8:0:1::/64`, `2001:db8:0::/48`). */
  readonly key: string;
  /** The group of buckets the key belongs to (an address's widest prefix): one Redis slot. */
  readonly group: string;
  /** Failures allowed in the window. */
  readonly limit: number;
}

/** The state of a client's buckets: the smallest room left, and when the window ends. */
export interface GuardState {
  readonly remaining: number;
  readonly resetMs: number;
}

/**
 * The optional part of a `LimiterStore` the failed-auth guard uses (`RedisStore` has it): one
 * atomic call that reads every bucket of a client (`count: false`) or counts one failure in each
 * (`count: true`), in fixed windows of `windowSeconds` aligned to the UTC clock. Without it the core
 * counts in process (bounded, never evicting a counting client; see the README).
 */
export interface GuardCounter {
  authFailures(buckets: readonly GuardBucket[], windowSeconds: number, count: boolean): MaybePromise<GuardState>;
  /**
   * Optional: takes back one failure counted in the current window in each bucket (nothing when
   * the window has ended since). A counter shared by instances has it, so the guard can count a
   * lookup's failure before the lookup (a reservation every instance sees) and take it back when
   * the key is valid: a burst through N instances cannot get N × the budget.
   */
  releaseAuthFailure?(buckets: readonly GuardBucket[], windowSeconds: number): MaybePromise<void>;
}
