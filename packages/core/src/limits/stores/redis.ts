import { hash } from 'node:crypto';
import { TwoFaConfigError, TwoFaError } from '../../http/errors.js';
import { checkNumber, checkOptionsObject } from '../../option-checks.js';
import type { GuardBucket, GuardState } from './guard-types.js';
import { MemoryStore } from './memory.js';
import { BATCH_COMMAND, RedisLimiterBatch } from './redis-batch.js';
import {
  deadline,
  notAutoPipelined,
  RETRY_DELAY_MS,
  RedisConnection,
  retriable,
  type ScriptCommand,
  type ScriptLoader,
  Timeout,
} from './redis-connection.js';
import { REFUND_COMMAND, RedisCredits, TOP_UP_COMMAND } from './redis-credits.js';
import { GUARD_COMMAND, RedisGuardAndVerify, VERIFY_COMMAND } from './redis-guard-verify.js';
import {
  DEFAULT_REDIS_COOLDOWN_MS,
  DEFAULT_REDIS_KEY_PREFIX,
  DEFAULT_REDIS_TIMEOUT_MS,
  REDIS_STORE_OPTION_NAMES,
  type RedisClientLike,
  type RedisErrorPolicy,
  type RedisFailureReason,
  type RedisStoreOptions,
} from './redis-options.js';
import { BATCH_LUA, CONSUME_LUA, PEEK_LUA, resultFromReply, scriptArgs } from './redis-script.js';
import type { ConsumeOptions, ConsumeResult, LimiterStore, TopUpResult, WindowSpec, WindowState } from './types.js';
import type { VerifyAttempt, VerifyRecord, VerifyRules } from './verify-types.js';
import { windowEnd, windowStart } from './windows.js';

// The Redis store by concern: its options (redis-options.ts), the client with its time budget,
// cooldown and outage policy (redis-connection.ts), the batching of limiter calls
// (redis-batch.ts), the limiter operations (here), credits (redis-credits.ts), the failed-auth
// guard and the verify memory (redis-guard-verify.ts).

export { REDIS_BATCH_MAX } from './redis-batch.js';
export {
  DEFAULT_REDIS_COOLDOWN_MS,
  DEFAULT_REDIS_KEY_PREFIX,
  DEFAULT_REDIS_TIMEOUT_MS,
  type RedisClientLike,
  type RedisErrorPolicy,
  type RedisFailureReason,
  type RedisStoreFailure,
  type RedisStoreOptions,
} from './redis-options.js';

/** Command names registered on the client with `defineCommand` (versioned with the scripts). */
const CONSUME_COMMAND = 'twofaKitConsumeV3';
const PEEK_COMMAND = 'twofaKitPeekV3';

/**
 * The Redis limiter: the memory store's semantics for a whole fleet. Each call is ONE round trip
 * (a Lua script loaded with `defineCommand`, so it is re-sent after a restart or `SCRIPT FLUSH`)
 * that reads Redis `TIME`, checks every window of the identity and counts the request in all of
 * them or in none. One hash per identity, named `<keyPrefix>{<sha256(identity id)>}`: Cluster-safe
 * (one key per call) and free of raw ids, which hosts may have made from API keys.
 *
 * The outage policy is built in: a call never waits longer than `timeoutMs`, is never queued on a
 * disconnected client, and never rejects except with `TwoFaError('UNAVAILABLE')` under `closed`.
 * Once the client is `ready` again the next call goes to Redis.
 */
export class RedisStore implements LimiterStore {
  readonly name = 'redis';
  readonly policy: RedisErrorPolicy;
  readonly #connection: RedisConnection;
  readonly #fallback: LimiterStore;
  readonly #ownsFallback: boolean;
  readonly #clock: () => number;
  readonly #consume: ScriptCommand;
  readonly #peek: ScriptCommand;
  /** The batching of limiter calls, or `undefined` when calls are sent one by one (Cluster, `batch: false`). */
  readonly #batch: RedisLimiterBatch | undefined;
  readonly #credits: RedisCredits;
  readonly #guardAndVerify: RedisGuardAndVerify;

  constructor(options: RedisStoreOptions) {
    checkOptionsObject('RedisStore', options, REDIS_STORE_OPTION_NAMES);
    const client = options?.client;
    if (typeof client !== 'object' || client === null || typeof client.defineCommand !== 'function') {
      throw new TwoFaConfigError('RedisStore needs { client }: an ioredis Redis or Cluster');
    }
    const policy = options.onRedisError ?? 'fallback';
    if (policy !== 'fallback' && policy !== 'open' && policy !== 'closed') {
      throw new TwoFaConfigError(`onRedisError must be "fallback", "open" or "closed", got ${String(policy)}`);
    }
    const prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
    if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
      // A `{` in the prefix would become the Cluster hash tag and put every identity in one slot.
      throw new TwoFaConfigError('keyPrefix must be a string without "{" or "}"');
    }
    this.policy = policy;
    const connection = new RedisConnection({
      client,
      prefix,
      timeoutMs: checkNumber('timeoutMs', options.timeoutMs, { min: 1, integer: false }, DEFAULT_REDIS_TIMEOUT_MS),
      cooldownMs: checkNumber('cooldownMs', options.cooldownMs, { min: 0, integer: false }, DEFAULT_REDIS_COOLDOWN_MS),
      policy,
      testClock: options.testClock,
      onError: options.onError,
    });
    this.#connection = connection;
    this.#clock = options.clock ?? Date.now;
    this.#ownsFallback = options.fallback === undefined;
    this.#fallback = options.fallback ?? new MemoryStore({ clock: this.#clock });
    this.#credits = new RedisCredits(connection, (id) => this.keyFor(id));
    this.#guardAndVerify = new RedisGuardAndVerify(connection, this.#clock);

    notAutoPipelined(client, [
      CONSUME_COMMAND,
      PEEK_COMMAND,
      VERIFY_COMMAND,
      `${GUARD_COMMAND}K1`,
      `${GUARD_COMMAND}K3`,
      TOP_UP_COMMAND,
      REFUND_COMMAND,
    ]);
    client.defineCommand(CONSUME_COMMAND, { numberOfKeys: 1, lua: CONSUME_LUA });
    client.defineCommand(PEEK_COMMAND, { numberOfKeys: 1, lua: PEEK_LUA });
    const commands = client as unknown as Record<string, ScriptCommand | undefined>;
    const consume = commands[CONSUME_COMMAND];
    const peek = commands[PEEK_COMMAND];
    if (consume === undefined || peek === undefined) {
      throw new TwoFaConfigError('RedisStore: client.defineCommand did not define the commands (not ioredis?)');
    }
    this.#consume = consume.bind(client);
    this.#peek = peek.bind(client);
    const cluster = typeof (client as ScriptLoader).nodes === 'function';
    this.#batch =
      options.batch === false || cluster
        ? undefined
        : new RedisLimiterBatch(connection.define(BATCH_COMMAND, BATCH_LUA, undefined), this.#consume, this.#peek);
    // Preload the scripts now and after every (re)connection, so the first burst of requests
    // after a start or a Redis restart is not a storm of NOSCRIPT round trips.
    (client as ScriptLoader).on?.('ready', this.#preload);
    if (client.status === 'ready') this.#preload();
  }

  readonly #preload = (): void => {
    this.ready().catch(() => {});
    this.#credits.flushRefunds();
  };

  /**
   * Loads both scripts into Redis (every master of a Cluster) and runs one read through them.
   * Optional: calls work without it; a host may await it before listening so that even the
   * first requests find the scripts cached. Rejects when Redis is not reachable or does not
   * answer within 2 s (or `timeoutMs`, when longer).
   */
  async ready(): Promise<void> {
    const client = this.#connection.client as RedisClientLike & ScriptLoader;
    const nodes = typeof client.nodes === 'function' ? client.nodes('master') : [client];
    const load = Promise.all(
      nodes.map(async (node) => {
        await node.script?.('LOAD', CONSUME_LUA);
        await node.script?.('LOAD', PEEK_LUA);
        if (this.#batch !== undefined) await node.script?.('LOAD', BATCH_LUA);
      }),
    ).then(() => this.#peek(`${this.#connection.prefix}{ready}`, '1', '60', '1', ''));
    await deadline(load, Math.max(this.#connection.timeoutMs, 2_000));
  }

  /** The Redis key name that holds an identity's counters. */
  keyFor(identityId: string): string {
    let name = this.#keyNames.get(identityId);
    if (name === undefined) {
      name = `${this.#connection.prefix}{${hash('sha256', identityId, 'hex')}}`;
      if (this.#keyNames.size >= KEY_NAME_CACHE) this.#keyNames.clear();
      this.#keyNames.set(identityId, name);
    }
    return name;
  }
  /** Recent identities' key names: a busy identity's SHA-256 is computed once, not per request. */
  readonly #keyNames = new Map<string, string>();

  consume(key: string, windows: readonly WindowSpec[], options?: ConsumeOptions): Promise<ConsumeResult> {
    return this.#call('consume', key, windows, options);
  }

  peek(key: string, windows: readonly WindowSpec[], options?: ConsumeOptions): Promise<ConsumeResult> {
    return this.#call('peek', key, windows, options);
  }

  /**
   * Adds `amount` credits to the identity's balance, once per `topUpId` (see `LimiterStore.topUp`):
   * one script call on the identity's hash and its set of applied ids (one slot on a Cluster).
   * Money is never answered by a policy: when Redis fails this rejects, and the host retries with
   * the same id (a top-up that did reach Redis is then not applied twice).
   */
  topUp(key: string, amount: number, topUpId: string): Promise<TopUpResult> {
    return this.#credits.topUp(key, amount, topUpId);
  }

  /** The balance, or null when the identity holds none. Rejects when Redis fails. */
  balance(key: string): Promise<number | null> {
    return this.#credits.balance(key);
  }

  /**
   * Gives back credits charged for a request that failed afterwards (see `LimiterStore.refund`).
   * When Redis is not connected the refund waits (in this process) and is made once it is back;
   * when the call fails or times out it is reported through `onError` (a call that timed out may
   * have been made: it is not repeated, so a refund is never made twice).
   */
  refund(key: string, amount: number): Promise<void> {
    return this.#credits.refund(key, amount);
  }

  /**
   * The verify route's replay memory and failure count (see `VerifyMemory`): one script call on
   * `<keyPrefix>verify:{<hash>}` (the hash of identity and secret the core passes). When Redis
   * fails: 503 under every policy. A memory of this instance alone (`fallback`) or none (`open`)
   * would accept an accepted code again, so replay protection never degrades.
   */
  recordVerification(key: string, attempt: VerifyAttempt, rules: VerifyRules): Promise<VerifyRecord> {
    return this.#guardAndVerify.recordVerification(key, attempt, rules);
  }

  /**
   * The failed-auth guard's counts (see `GuardCounter`): one script call over the client's buckets,
   * named `<keyPrefix>auth:{<sha256(group)>}:<sha256(bucket)>` (one slot per client group). When
   * Redis fails: `closed` → 503; otherwise the counts of this process (as without Redis).
   */
  authFailures(buckets: readonly GuardBucket[], windowSeconds: number, count: boolean): Promise<GuardState> {
    return this.#guardAndVerify.authFailures(buckets, windowSeconds, count);
  }

  /** Takes back one failure of this window in each bucket (see `GuardCounter.releaseAuthFailure`). */
  releaseAuthFailure(buckets: readonly GuardBucket[], windowSeconds: number): Promise<void> {
    return this.#guardAndVerify.releaseAuthFailure(buckets, windowSeconds);
  }

  /** Releases the fallback store. The client belongs to the host, which closes it. */
  async close(): Promise<void> {
    (this.#connection.client as ScriptLoader).off?.('ready', this.#preload);
    if (this.#ownsFallback) await this.#fallback.close?.();
  }

  async #call(
    operation: 'consume' | 'peek',
    key: string,
    windows: readonly WindowSpec[],
    options: ConsumeOptions | undefined,
  ): Promise<ConsumeResult> {
    if (windows.length === 0 && options?.credits === undefined) return { allowed: true, windows: [], retryAfterMs: 0 };
    const status = this.#connection.client.status;
    if (status !== 'ready') {
      if (status === 'wait') this.#connection.client.connect?.().catch(() => {});
      return this.#degraded(operation, key, windows, 'not_ready');
    }
    if (this.#connection.skipUntil !== 0) {
      if (performance.now() < this.#connection.skipUntil) return this.#degraded(operation, key, windows, 'cooldown');
      this.#connection.skipUntil = 0;
    }
    const until = performance.now() + this.#connection.timeoutMs;
    const name = this.keyFor(key);
    /** The failover error Redis answered the previous attempt with, while asking again. */
    let retried: unknown;
    for (;;) {
      try {
        const reply = await deadline(
          this.#send(operation, name, scriptArgs(windows, this.#connection.testClock?.(), options)),
          until - performance.now(),
        );
        return resultFromReply(reply, windows, options);
      } catch (error) {
        const timedOut = error instanceof Timeout;
        // A failover in progress: the script did not run; ask again while the budget lasts.
        if (!timedOut && retriable(error) && until - performance.now() > RETRY_DELAY_MS) {
          retried = error;
          await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
          if (this.#connection.client.status === 'ready') continue;
        }
        // The budget ran out on a retry, the last answer still the failover error: Redis answered,
        // it was not slow, so that error is the reason and no cooldown starts.
        if (timedOut && retried !== undefined) return this.#degraded(operation, key, windows, 'error', retried);
        if (timedOut) this.#connection.skipUntil = performance.now() + this.#connection.cooldownMs;
        return this.#degraded(operation, key, windows, timedOut ? 'timeout' : 'error', error);
      }
    }
  }

  /** One limiter script call: at once, or queued for this turn's batch. */
  #send(operation: 'consume' | 'peek', key: string, args: string[]): Promise<unknown> {
    if (this.#batch === undefined) return (operation === 'consume' ? this.#consume : this.#peek)(key, ...args);
    return this.#batch.send(operation, key, args);
  }

  async #degraded(
    operation: 'consume' | 'peek',
    key: string,
    windows: readonly WindowSpec[],
    reason: RedisFailureReason,
    error?: unknown,
  ): Promise<ConsumeResult> {
    this.#connection.report({
      operation,
      reason,
      policy: this.policy,
      ...(error instanceof Error ? { message: error.message } : {}),
    });
    switch (this.policy) {
      case 'closed':
        throw new TwoFaError('UNAVAILABLE');
      case 'open':
        return openResult(windows, this.#clock());
      default:
        return operation === 'consume' ? this.#fallback.consume(key, windows) : this.#fallback.peek(key, windows);
    }
  }
}

/** Key names `keyFor` remembers; past it the memory starts over. */
const KEY_NAME_CACHE = 10_000;

/** `open`: admitted, counted nowhere, every window reported with its full limit left. */
function openResult(windows: readonly WindowSpec[], nowMs: number): ConsumeResult {
  const nowS = Math.floor(nowMs / 1000);
  const states: WindowState[] = windows.map((w) => {
    const start = windowStart(w.seconds, nowS);
    const end = windowEnd(w.seconds, start);
    return { name: w.name, seconds: end - start, limit: w.limit, remaining: w.limit, resetMs: end * 1000 - nowMs };
  });
  return { allowed: true, windows: states, retryAfterMs: 0 };
}
