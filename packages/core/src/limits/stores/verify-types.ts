import type { MaybePromise } from '../../types.js';

/**
 * The verify route's memory: for one identity and secret (named by a hash of both), the last
 * accepted time step and the failed verifications in a window. One atomic call per verification.
 */
export interface VerifyAttempt {
  /** Start (Unix seconds) of the time step the code matched; `null` when it matched none. */
  readonly step: number | null;
  /** How long an accepted step must be remembered (until no window can accept it again), in ms. */
  readonly rememberMs: number;
}

export interface VerifyRules {
  /** Failed verifications allowed per window; the next verification is refused. */
  readonly maxFailures: number;
  /** The failure window (from the first failure), in ms. */
  readonly failureWindowMs: number;
}

export interface VerifyRecord {
  /**
   * `accepted`: the step is newer than the last accepted one and is now the last accepted;
   * `replayed`: that step or a later one was already accepted; `failed`: no match, counted;
   * `blocked`: too many failures, nothing looked at or counted.
   */
  readonly status: 'accepted' | 'replayed' | 'failed' | 'blocked';
  /** `blocked`: ms until the failure window ends; else 0. */
  readonly retryAfterMs: number;
}

/**
 * The optional part of a `LimiterStore` the verify route uses (`MemoryStore` and `RedisStore`
 * have it). A custom store without it gets a per-process memory from the core: replays and
 * failures are then refused per instance only.
 */
export interface VerifyMemory {
  recordVerification(key: string, attempt: VerifyAttempt, rules: VerifyRules): MaybePromise<VerifyRecord>;
}
