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
  /**
   * The identity's credits, when the call asked for them (`ConsumeOptions.credits`) and the
   * identity is credit-limited (it holds a balance, or `required` was set). Absent otherwise,
   * also when a store that keeps no credits (or an outage policy) answered.
   */
  readonly credits?: CreditState;
  /**
   * Thresholds this call crossed, decided by the store (`ConsumeOptions.notify`): each is reported
   * by exactly one call per identity, window and period, whichever instance made it.
   */
  readonly notices?: readonly StoreNotice[];
}

/** What a call asks of the identity's prepaid credits. */
export interface CreditCharge {
  /** Credits the request costs: a non-negative integer, charged by `consume` when admitted. */
  readonly cost: number;
  /** True: an identity without a balance record has 0 credits (refused when `cost > 0`). */
  readonly required: boolean;
  /** `credits.low` is reported once when a charge leaves the balance below this (0: never). */
  readonly lowBalance: number;
}

/** The options of one `consume` or `peek` beyond the windows. */
export interface ConsumeOptions {
  /** Check (and, for `consume`, charge) the identity's credits. */
  readonly credits?: CreditCharge;
  /** Report thresholds crossed (`notices`): 80 % and 100 % of windows of an hour or longer, low credits. */
  readonly notify?: boolean;
}

/** The identity's credits after a call. */
export interface CreditState {
  /** The balance after this call (after the charge when the call was admitted). */
  readonly balance: number;
  /** The cost asked (`CreditCharge.cost`); charged only when the call was admitted by `consume`. */
  readonly cost: number;
  /** False when the balance did not cover the cost: refused for credits, counted nowhere. */
  readonly sufficient: boolean;
}

/** A threshold a call crossed (see `ConsumeResult.notices`). */
export type StoreNotice =
  | {
      readonly type: 'quota.threshold';
      /** The window's name (`hour`, `day`, `month`). */
      readonly window: string;
      readonly percent: 80 | 100;
      /** Unix seconds when the window's current period started. */
      readonly periodStart: number;
    }
  | {
      readonly type: 'credits.low';
      /** The balance after the charge that crossed. */
      readonly balance: number;
    };

/** The answer of `topUp`. */
export interface TopUpResult {
  /** The balance after the call. */
  readonly balance: number;
  /** False when this top-up id was already applied: nothing was added. */
  readonly applied: boolean;
}

/**
 * A limiter backend. `consume` is ONE atomic step: it checks every window and either counts the
 * request in all of them or in none. Separate read and write calls cannot hold a limit under
 * concurrency, so there are none.
 */
export interface LimiterStore {
  /** Short name for logs and events (`memory`, `redis`). */
  readonly name: string;
  /**
   * With `options.credits`, the same atomic step also checks the identity's balance and charges
   * the cost: admitted only when every window has room AND the balance covers the cost; refused
   * for credits (`credits.sufficient: false`) before the windows are looked at for the answer.
   */
  consume(key: string, windows: readonly WindowSpec[], options?: ConsumeOptions): MaybePromise<ConsumeResult>;
  /**
   * The state now, counting nothing: `allowed` and `retryAfterMs` say whether a request made now
   * would be admitted; `remaining` is what is left now (and, with `options.credits`, the balance,
   * charged nothing).
   */
  peek(key: string, windows: readonly WindowSpec[], options?: ConsumeOptions): MaybePromise<ConsumeResult>;
  /** Releases timers and connections the store owns. */
  close?(): MaybePromise<void>;
  /**
   * Optional (the verify route's replay memory and failure count, see `VerifyMemory`): records one
   * verification atomically. Without it the core keeps that memory per process.
   */
  recordVerification?(key: string, attempt: VerifyAttempt, rules: VerifyRules): MaybePromise<VerifyRecord>;
  /**
   * Optional (prepaid credits): adds `amount` (a positive integer) to the identity's balance, once
   * per `topUpId`: a second call with the same id adds nothing and answers the balance as it is.
   * The first top-up makes the identity credit-limited. A store without it keeps no credits.
   */
  topUp?(key: string, amount: number, topUpId: string): MaybePromise<TopUpResult>;
  /** Optional (prepaid credits): the balance, or null when the identity holds none. */
  balance?(key: string): MaybePromise<number | null>;
  /**
   * Optional (prepaid credits): gives back `amount` credits charged for a request that failed
   * afterwards (the kit's own 500 or 503). Adds nothing to an identity without a balance.
   */
  refund?(key: string, amount: number): MaybePromise<void>;
  /**
   * Optional (the failed-auth guard's counts, see `GuardCounter`): one atomic call over a client's
   * buckets. Without it the core counts failed authentications per process.
   */
  authFailures?(buckets: readonly GuardBucket[], windowSeconds: number, count: boolean): MaybePromise<GuardState>;
}
