import { TwoFaError } from '../../http/errors.js';
import { MemoryGuardCounter } from './guard-memory.js';
import type { GuardBucket, GuardState } from './guard-types.js';
import { deadline, notAutoPipelined, type RedisConnection, type ScriptCommand, sha256Hex } from './redis-connection.js';
import { GUARD_LUA } from './redis-guard-script.js';
import { VERIFY_LUA, verifyRecordFromReply } from './redis-verify-script.js';
import type { VerifyAttempt, VerifyRecord, VerifyRules } from './verify-types.js';

// The failed-auth guard's counts and the verify route's replay memory in Redis: one script call
// each, never retried, under the store's outage policy (the verify memory: 503 under every one).

/** Command names (versioned with the scripts); the guard's gets its key count appended (`K1`, `K3`). */
export const VERIFY_COMMAND = 'twofaKitVerifyV2';
export const GUARD_COMMAND = 'twofaKitAuthFailuresV3';

/** What a `RedisStore` answers for the failed-auth guard (`GuardCounter`) and the verify memory (`VerifyMemory`). */
export class RedisGuardAndVerify {
  readonly #connection: RedisConnection;
  readonly #clock: () => number;
  #verify: ScriptCommand | undefined;

  constructor(connection: RedisConnection, clock: () => number) {
    this.#connection = connection;
    this.#clock = clock;
  }

  /**
   * The verify route's replay memory and failure count (see `VerifyMemory`): one script call on
   * `<keyPrefix>verify:{<hash>}` (the hash of identity and secret the core passes). When Redis
   * fails: 503 under every policy. A memory of this instance alone (`fallback`) or none (`open`)
   * would accept an accepted code again, so replay protection never degrades.
   */
  async recordVerification(key: string, attempt: VerifyAttempt, rules: VerifyRules): Promise<VerifyRecord> {
    this.#verify ??= this.#connection.define(VERIFY_COMMAND, VERIFY_LUA, 1);
    const verify = this.#verify;
    const answered = await this.#connection.once('verify', async () => {
      const args = [attempt.step === null ? '' : String(attempt.step), String(Math.ceil(attempt.rememberMs))];
      args.push(String(rules.maxFailures), String(rules.failureWindowMs));
      if (this.#connection.testClock !== undefined) args.push(String(this.#connection.testClock()));
      return verifyRecordFromReply(
        await deadline(verify(`${this.#connection.prefix}verify:{${key}}`, ...args), this.#connection.timeoutMs),
      );
    });
    if (answered !== undefined) return answered.value;
    throw new TwoFaError('UNAVAILABLE');
  }
  /**
   * The failed-auth guard's counts (see `GuardCounter`): one script call over the client's buckets,
   * named `<keyPrefix>auth:{<sha256(group)>}:<sha256(bucket)>` (one slot per client group). When
   * Redis fails: `closed` → 503; otherwise the counts of this process (as without Redis).
   */
  async authFailures(buckets: readonly GuardBucket[], windowSeconds: number, count: boolean): Promise<GuardState> {
    if (buckets.length === 0) return { remaining: Number.POSITIVE_INFINITY, resetMs: windowSeconds * 1000 };
    const guard = this.#guardFor(buckets.length);
    const answered = await this.#connection.once('auth', async () => {
      const tag = sha256Hex((buckets[0] as GuardBucket).group);
      const keys = buckets.map((b) => `${this.#connection.prefix}auth:{${tag}}:${sha256Hex(b.key)}`);
      const args = [count ? 'count' : 'peek', String(windowSeconds), ...buckets.map((b) => String(b.limit))];
      if (this.#connection.testClock !== undefined) args.push(String(this.#connection.testClock()));
      const reply = await deadline(guard(...(keys as [string, ...string[]]), ...args), this.#connection.timeoutMs);
      if (!Array.isArray(reply) || reply.length !== 2) throw new Error('unexpected reply from the guard script');
      return { remaining: Number(reply[0]), resetMs: Number(reply[1]) };
    });
    if (answered !== undefined) return answered.value;
    this.#localGuard ??= new MemoryGuardCounter(10_000, this.#clock);
    return this.#localGuard.authFailures(buckets, windowSeconds, count);
  }

  /** Takes back one failure of this window in each bucket (see `GuardCounter.releaseAuthFailure`). */
  async releaseAuthFailure(buckets: readonly GuardBucket[], windowSeconds: number): Promise<void> {
    if (buckets.length === 0) return;
    const guard = this.#guardFor(buckets.length);
    const answered = await this.#connection.once('auth', async () => {
      const tag = sha256Hex((buckets[0] as GuardBucket).group);
      const keys = buckets.map((b) => `${this.#connection.prefix}auth:{${tag}}:${sha256Hex(b.key)}`);
      const args = ['release', String(windowSeconds), ...buckets.map((b) => String(b.limit))];
      if (this.#connection.testClock !== undefined) args.push(String(this.#connection.testClock()));
      return deadline(guard(...(keys as [string, ...string[]]), ...args), this.#connection.timeoutMs);
    });
    if (answered === undefined) this.#localGuard?.releaseAuthFailure(buckets, windowSeconds);
  }
  readonly #guards = new Map<number, ScriptCommand>();
  #localGuard: MemoryGuardCounter | undefined;

  /**
   * The guard script for `keys` keys (1 for IPv4, 3 for IPv6), one command each with its key count
   * declared: the first argument is then a key, so ioredis's auto-pipelining on a Cluster client
   * (which routes by the first argument) sends it to the key's own primary.
   */
  #guardFor(keys: number): ScriptCommand {
    let guard = this.#guards.get(keys);
    if (guard === undefined) {
      notAutoPipelined(this.#connection.client, [`${GUARD_COMMAND}K${keys}`]);
      guard = this.#connection.define(`${GUARD_COMMAND}K${keys}`, GUARD_LUA, keys);
      this.#guards.set(keys, guard);
    }
    return guard;
  }
}
