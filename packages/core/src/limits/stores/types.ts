import type { MaybePromise } from '../../types.js';
import type { GuardBucket, GuardState } from './guard-types.js';
import type { VerifyAttempt, VerifyRecord, VerifyRules } from './verify-types.js';

/** One limited window of a plan: a fixed window aligned to the UTC clock. */
export interface WindowSpec {
  /** `minute`, `hour`, `day` or `month` (the names used in the RateLimit headers). */
  readonly name: string;
  /**
   * Length in seconds (60, 3600, 86400): such windows start when `unixSeconds % seconds === 0`.
   * `CALENDAR_MONTH` (0) is the UTC calendar month, from the 1st at 00:00 UTC to the next 1st.
   */
  readonly seconds: number;
  /** Requests admitted per window: a non-negative integer (unlimited windows are not passed; 0 blocks). */
  readonly limit: number;
}

/** A window's state after a `consume` or `peek`. */
export interface WindowState {
  readonly name: string;
  /** Length of the current window in seconds (for the month: 28, 29, 30 or 31 days). */
  readonly seconds: number;
  readonly limit: number;
  /** Requests left in the current window after this call. */
  readonly remaining: number;
  /** Milliseconds until the current window ends (> 0). */
  readonly resetMs: number;
}

export interface ConsumeResult {
  /** True when every window had room and the request was counted in all of them. */
  readonly allowed: boolean;
  /** Same order as the `windows` argument. */
  readonly windows: readonly WindowState[];
  /**
   * When refused: milliseconds until this request would be admitted (the latest reset among the
   * full windows). 0 when allowed.
   */
  readonly retryAfterMs: number;
}

/**
 * A limiter backend. `consume` is ONE atomic step: it checks every window and either counts the
 * request in all of them or in none. Separate read and write calls cannot hold a limit under
 * concurrency, so there are none.
 */
export interface LimiterStore {
  /** Short name for logs and events (`memory`, `redis`). */
  readonly name: string;
  consume(key: string, windows: readonly WindowSpec[]): MaybePromise<ConsumeResult>;
  /**
   * The state now, counting nothing: `allowed` and `retryAfterMs` say whether a request made now
   * would be admitted; `remaining` is what is left now.
   */
  peek(key: string, windows: readonly WindowSpec[]): MaybePromise<ConsumeResult>;
  /** Releases timers and connections the store owns. */
  close?(): MaybePromise<void>;
  /**
   * Optional (the verify route's replay memory and failure count, see `VerifyMemory`): records one
   * verification atomically. Without it the core keeps that memory per process.
   */
  recordVerification?(key: string, attempt: VerifyAttempt, rules: VerifyRules): MaybePromise<VerifyRecord>;
  /**
   * Optional (the failed-auth guard's counts, see `GuardCounter`): one atomic call over a client's
   * buckets. Without it the core counts failed authentications per process.
   */
  authFailures?(buckets: readonly GuardBucket[], windowSeconds: number, count: boolean): MaybePromise<GuardState>;
  /**
   * Optional, beside `authFailures` (see `GuardCounter.releaseAuthFailure`): takes back one failure
   * counted in this window. With it a shared guard reserves each lookup's failure before the lookup.
   */
  releaseAuthFailure?(buckets: readonly GuardBucket[], windowSeconds: number): MaybePromise<void>;
}
