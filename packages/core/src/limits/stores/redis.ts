import { hash } from 'node:crypto';
import { TwoFaConfigError, TwoFaError } from '../../http/errors.js';
import { checkNumber, checkOptionsObject } from '../../option-checks.js';
import { checkRefund, checkTopUp } from './credits.js';
import { MemoryGuardCounter } from './guard-memory.js';
import type { GuardBucket, GuardState } from './guard-types.js';
import { MemoryStore } from './memory.js';
import { GUARD_LUA } from './redis-guard-script.js';
import {
  BATCH_LUA,
  CONSUME_LUA,
  PEEK_LUA,
  REFUND_LUA,
  resultFromReply,
  scriptArgs,
  TOP_UP_LUA,
} from './redis-script.js';
import { VERIFY_LUA, verifyRecordFromReply } from './redis-verify-script.js';
import type { ConsumeOptions, ConsumeResult, LimiterStore, TopUpResult, WindowSpec, WindowState } from './types.js';
import { MemoryVerifyMemory } from './verify-memory.js';
import type { VerifyAttempt, VerifyMemory, VerifyRecord, VerifyRules } from './verify-types.js';
import { windowEnd, windowStart } from './windows.js';

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
const REDIS_STORE_OPTION_NAMES = Object.keys({
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

/** Command names registered on the client with `defineCommand` (versioned with the scripts). */
const CONSUME_COMMAND = 'twofaKitConsumeV3';
const PEEK_COMMAND = 'twofaKitPeekV3';
const TOP_UP_COMMAND = 'twofaKitTopUpV1';
const REFUND_COMMAND = 'twofaKitRefundV1';
const VERIFY_COMMAND = 'twofaKitVerifyV2';
const GUARD_COMMAND = 'twofaKitAuthFailuresV2';
const BATCH_COMMAND = 'twofaKitBatchV2';

/** The most calls one batch script run carries; more in one turn make several runs. */
export const REDIS_BATCH_MAX = 64;

type ScriptCommand = (key: string, ...args: string[]) => Promise<unknown>;

/** A limiter call waiting for the end of the event-loop turn (see `RedisStoreOptions.batch`). */
interface Queued {
  readonly operation: 'consume' | 'peek';
  readonly key: string;
  readonly args: string[];
  resolve(reply: unknown): void;
  reject(error: unknown): void;
}

/** The parts of ioredis used, when present, to preload the scripts. */
interface ScriptLoader {
  script?(subcommand: 'LOAD', lua: string): Promise<unknown>;
  nodes?(role: 'master'): ScriptLoader[];
  on?(event: 'ready', listener: () => void): unknown;
  off?(event: 'ready', listener: () => void): unknown;
}

class Timeout extends Error {}

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
  readonly #client: RedisClientLike;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #cooldownMs: number;
  readonly #fallback: LimiterStore;
  readonly #ownsFallback: boolean;
  readonly #clock: () => number;
  readonly #onError: ((failure: RedisStoreFailure) => void) | undefined;
  readonly #consume: ScriptCommand;
  readonly #peek: ScriptCommand;
  readonly #testClock: (() => number) | undefined;
  /** The batch script, or `undefined` when calls are sent one by one (Cluster, `batch: false`). */
  readonly #batch: ScriptCommand | undefined;
  #queue: Queued[] | undefined;
  #skipUntil = 0;

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
    this.#client = client;
    this.#prefix = prefix;
    this.policy = policy;
    this.#timeoutMs = checkNumber('timeoutMs', options.timeoutMs, { min: 1, integer: false }, DEFAULT_REDIS_TIMEOUT_MS);
    this.#cooldownMs = checkNumber(
      'cooldownMs',
      options.cooldownMs,
      { min: 0, integer: false },
      DEFAULT_REDIS_COOLDOWN_MS,
    );
    this.#clock = options.clock ?? Date.now;
    this.#ownsFallback = options.fallback === undefined;
    this.#fallback = options.fallback ?? new MemoryStore({ clock: this.#clock });
    this.#onError = options.onError;
    this.#testClock = options.testClock;

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
    this.#batch = options.batch === false || cluster ? undefined : this.#define(BATCH_COMMAND, BATCH_LUA, undefined);
    // Preload the scripts now and after every (re)connection, so the first burst of requests
    // after a start or a Redis restart is not a storm of NOSCRIPT round trips.
    (client as ScriptLoader).on?.('ready', this.#preload);
    if (client.status === 'ready') this.#preload();
  }

  readonly #preload = (): void => {
    this.ready().catch(() => {});
    this.#flushRefunds();
  };

  /**
   * Loads both scripts into Redis (every master of a Cluster) and runs one read through them.
   * Optional: calls work without it; a host may await it before listening so that even the
   * first requests find the scripts cached. Rejects when Redis is not reachable or does not
   * answer within 2 s (or `timeoutMs`, when longer).
   */
  async ready(): Promise<void> {
    const client = this.#client as RedisClientLike & ScriptLoader;
    const nodes = typeof client.nodes === 'function' ? client.nodes('master') : [client];
    const load = Promise.all(
      nodes.map(async (node) => {
        await node.script?.('LOAD', CONSUME_LUA);
        await node.script?.('LOAD', PEEK_LUA);
        if (this.#batch !== undefined) await node.script?.('LOAD', BATCH_LUA);
      }),
    ).then(() => this.#peek(`${this.#prefix}{ready}`, '1', '60', '1', ''));
    await deadline(load, Math.max(this.#timeoutMs, 2_000));
  }

  /** The Redis key name that holds an identity's counters. */
  keyFor(identityId: string): string {
    let name = this.#keyNames.get(identityId);
    if (name === undefined) {
      name = `${this.#prefix}{${hash('sha256', identityId, 'hex')}}`;
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
  async topUp(key: string, amount: number, topUpId: string): Promise<TopUpResult> {
    checkTopUp(amount, topUpId);
    this.#topUp ??= this.#define(TOP_UP_COMMAND, TOP_UP_LUA, 2);
    const name = this.keyFor(key);
    const reply = await deadline(this.#topUp(name, this.#topUpsKey(name), String(amount), topUpId), this.#timeoutMs);
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error('unexpected reply from the top-up script');
    return { balance: Number(reply[0]), applied: Number(reply[1]) === 1 };
  }
  #topUp: ScriptCommand | undefined;

  /** The balance, or null when the identity holds none. Rejects when Redis fails. */
  async balance(key: string): Promise<number | null> {
    const reply = await deadline(this.#hget(this.keyFor(key), 'b'), this.#timeoutMs);
    return reply === null || reply === undefined ? null : Number(reply);
  }

  /**
   * Gives back credits charged for a request that failed afterwards (see `LimiterStore.refund`).
   * When Redis is not connected the refund waits (in this process) and is made once it is back;
   * when the call fails or times out it is reported through `onError` (a call that timed out may
   * have been made: it is not repeated, so a refund is never made twice).
   */
  async refund(key: string, amount: number): Promise<void> {
    checkRefund(amount);
    if (this.#client.status !== 'ready') {
      this.#holdRefund(key, amount);
      return;
    }
    this.#refund ??= this.#define(REFUND_COMMAND, REFUND_LUA, 1);
    try {
      await deadline(this.#refund(this.keyFor(key), String(amount)), this.#timeoutMs);
    } catch (error) {
      this.#report({
        operation: 'refund',
        reason: error instanceof Timeout ? 'timeout' : 'error',
        policy: this.policy,
        ...(error instanceof Error ? { message: error.message } : {}),
      });
    }
  }
  #refund: ScriptCommand | undefined;
  /** Refunds waiting for Redis to be back, by identity (at most 10,000 identities). */
  readonly #heldRefunds = new Map<string, number>();

  #holdRefund(key: string, amount: number): void {
    const held = this.#heldRefunds.get(key);
    if (held === undefined && this.#heldRefunds.size >= 10_000) {
      this.#report({ operation: 'refund', reason: 'not_ready', policy: this.policy });
      return;
    }
    this.#heldRefunds.set(key, (held ?? 0) + amount);
  }

  #flushRefunds(): void {
    if (this.#heldRefunds.size === 0) return;
    const held = [...this.#heldRefunds];
    this.#heldRefunds.clear();
    for (const [key, amount] of held) void this.refund(key, amount);
  }

  /** The name of the set of an identity's applied top-up ids: the same hash tag as its counters. */
  #topUpsKey(name: string): string {
    return `${this.#prefix}topups:${name.slice(this.#prefix.length)}`;
  }

  #hget(key: string, field: string): Promise<unknown> {
    const client = this.#client as unknown as { hget?: (key: string, field: string) => Promise<unknown> };
    if (typeof client.hget !== 'function')
      throw new TwoFaConfigError('RedisStore: the client has no hget (not ioredis?)');
    return client.hget(key, field);
  }

  /**
   * The verify route's replay memory and failure count (see `VerifyMemory`): one script call on
   * `<keyPrefix>verify:{<hash>}` (the hash of identity and secret the core passes). When Redis
   * fails: `closed` → 503; `fallback` → the fallback store's memory (per instance); `open` → the
   * code's own answer, remembered nowhere.
   */
  async recordVerification(key: string, attempt: VerifyAttempt, rules: VerifyRules): Promise<VerifyRecord> {
    this.#verify ??= this.#defineVerify();
    const verify = this.#verify;
    const answered = await this.#once('verify', async () => {
      const args = [attempt.step === null ? '' : String(attempt.step), String(Math.ceil(attempt.rememberMs))];
      args.push(String(rules.maxFailures), String(rules.failureWindowMs));
      if (this.#testClock !== undefined) args.push(String(this.#testClock()));
      return verifyRecordFromReply(await deadline(verify(`${this.#prefix}verify:{${key}}`, ...args), this.#timeoutMs));
    });
    if (answered !== undefined) return answered.value;
    if (this.policy === 'open') return { status: attempt.step === null ? 'failed' : 'accepted', retryAfterMs: 0 };
    const local = this.#fallback.recordVerification?.bind(this.#fallback) ?? this.#localVerify();
    return local(key, attempt, rules);
  }
  /**
   * One script call that is not retried (verify, auth), within the time budget and cooldown:
   * `{ value }` when Redis answered; otherwise the failure is reported, `closed` throws
   * `TwoFaError('UNAVAILABLE')`, and `undefined` tells the caller to answer by its policy.
   */
  async #once<T>(operation: RedisStoreFailure['operation'], call: () => Promise<T>): Promise<{ value: T } | undefined> {
    const ready = this.#client.status === 'ready' && (this.#skipUntil === 0 || performance.now() >= this.#skipUntil);
    let reason: RedisFailureReason = this.#client.status === 'ready' ? 'cooldown' : 'not_ready';
    let failure: unknown;
    if (ready) {
      try {
        return { value: await call() };
      } catch (error) {
        failure = error;
        reason = error instanceof Timeout ? 'timeout' : 'error';
        if (reason === 'timeout') this.#skipUntil = performance.now() + this.#cooldownMs;
      }
    }
    this.#report({
      operation,
      reason,
      policy: this.policy,
      ...(failure instanceof Error ? { message: failure.message } : {}),
    });
    if (this.policy === 'closed') throw new TwoFaError('UNAVAILABLE');
    return undefined;
  }

  #verify: ScriptCommand | undefined;
  #localVerifications: MemoryVerifyMemory | undefined;

  #localVerify(): VerifyMemory['recordVerification'] {
    this.#localVerifications ??= new MemoryVerifyMemory(this.#clock);
    const memory = this.#localVerifications;
    return (key, attempt, rules) => memory.recordVerification(key, attempt, rules);
  }

  #defineVerify(): ScriptCommand {
    this.#client.defineCommand(VERIFY_COMMAND, { numberOfKeys: 1, lua: VERIFY_LUA });
    const command = (this.#client as unknown as Record<string, ScriptCommand | undefined>)[VERIFY_COMMAND];
    if (command === undefined)
      throw new TwoFaConfigError('RedisStore: client.defineCommand did not define the commands');
    return command.bind(this.#client);
  }

  /**
   * The failed-auth guard's counts (see `GuardCounter`): one script call over the client's buckets,
   * named `<keyPrefix>auth:{<sha256(group)>}:<sha256(bucket)>` (one slot per client group). When
   * Redis fails: `closed` → 503; otherwise the counts of this process (as without Redis).
   */
  async authFailures(buckets: readonly GuardBucket[], windowSeconds: number, count: boolean): Promise<GuardState> {
    if (buckets.length === 0) return { remaining: Number.POSITIVE_INFINITY, resetMs: windowSeconds * 1000 };
    const guard = this.#guardFor(buckets.length);
    const answered = await this.#once('auth', async () => {
      const tag = sha256Hex((buckets[0] as GuardBucket).group);
      const keys = buckets.map((b) => `${this.#prefix}auth:{${tag}}:${sha256Hex(b.key)}`);
      const args = [count ? 'count' : 'peek', String(windowSeconds), ...buckets.map((b) => String(b.limit))];
      if (this.#testClock !== undefined) args.push(String(this.#testClock()));
      const reply = await deadline(guard(...(keys as [string, ...string[]]), ...args), this.#timeoutMs);
      if (!Array.isArray(reply) || reply.length !== 2) throw new Error('unexpected reply from the guard script');
      return { remaining: Number(reply[0]), resetMs: Number(reply[1]) };
    });
    if (answered !== undefined) return answered.value;
    this.#localGuard ??= new MemoryGuardCounter(10_000, this.#clock);
    return this.#localGuard.authFailures(buckets, windowSeconds, count);
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
      notAutoPipelined(this.#client, [`${GUARD_COMMAND}K${keys}`]);
      guard = this.#define(`${GUARD_COMMAND}K${keys}`, GUARD_LUA, keys);
      this.#guards.set(keys, guard);
    }
    return guard;
  }

  /**
   * Defines a script command. `keys` undefined: the caller passes the key count as the first
   * argument (EVALSHA's own form; only for the batch, never sent to a Cluster).
   */
  #define(name: string, lua: string, keys: number | undefined): ScriptCommand {
    (this.#client.defineCommand as (n: string, d: { lua: string; numberOfKeys?: number }) => void)(
      name,
      keys === undefined ? { lua } : { lua, numberOfKeys: keys },
    );
    const command = (this.#client as unknown as Record<string, ScriptCommand | undefined>)[name];
    if (command === undefined)
      throw new TwoFaConfigError('RedisStore: client.defineCommand did not define the commands');
    return command.bind(this.#client);
  }

  /** Releases the fallback store. The client belongs to the host, which closes it. */
  async close(): Promise<void> {
    (this.#client as ScriptLoader).off?.('ready', this.#preload);
    if (this.#ownsFallback) await this.#fallback.close?.();
  }

  async #call(
    operation: 'consume' | 'peek',
    key: string,
    windows: readonly WindowSpec[],
    options: ConsumeOptions | undefined,
  ): Promise<ConsumeResult> {
    if (windows.length === 0 && options?.credits === undefined) return { allowed: true, windows: [], retryAfterMs: 0 };
    const status = this.#client.status;
    if (status !== 'ready') {
      if (status === 'wait') this.#client.connect?.().catch(() => {});
      return this.#degraded(operation, key, windows, 'not_ready');
    }
    if (this.#skipUntil !== 0) {
      if (performance.now() < this.#skipUntil) return this.#degraded(operation, key, windows, 'cooldown');
      this.#skipUntil = 0;
    }
    const until = performance.now() + this.#timeoutMs;
    const name = this.keyFor(key);
    /** The failover error Redis answered the previous attempt with, while asking again. */
    let retried: unknown;
    for (;;) {
      try {
        const reply = await deadline(
          this.#send(operation, name, scriptArgs(windows, this.#testClock?.(), options)),
          until - performance.now(),
        );
        return resultFromReply(reply, windows, options);
      } catch (error) {
        const timedOut = error instanceof Timeout;
        // A failover in progress: the script did not run; ask again while the budget lasts.
        if (!timedOut && retriable(error) && until - performance.now() > RETRY_DELAY_MS) {
          retried = error;
          await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
          if (this.#client.status === 'ready') continue;
        }
        // The budget ran out on a retry, the last answer still the failover error: Redis answered,
        // it was not slow, so that error is the reason and no cooldown starts.
        if (timedOut && retried !== undefined) return this.#degraded(operation, key, windows, 'error', retried);
        if (timedOut) this.#skipUntil = performance.now() + this.#cooldownMs;
        return this.#degraded(operation, key, windows, timedOut ? 'timeout' : 'error', error);
      }
    }
  }

  /** One limiter script call: at once, or queued for this turn's batch. */
  #send(operation: 'consume' | 'peek', key: string, args: string[]): Promise<unknown> {
    if (this.#batch === undefined) return (operation === 'consume' ? this.#consume : this.#peek)(key, ...args);
    return new Promise((resolve, reject) => {
      if (this.#queue === undefined) {
        this.#queue = [];
        // After the I/O phase: every request read in this turn joins the batch.
        setImmediate(this.#flush);
      }
      this.#queue.push({ operation, key, args, resolve, reject });
    });
  }

  readonly #flush = (): void => {
    const queue = this.#queue;
    this.#queue = undefined;
    if (queue === undefined) return;
    for (let from = 0; from < queue.length; from += REDIS_BATCH_MAX) {
      const calls = queue.slice(from, from + REDIS_BATCH_MAX);
      if (calls.length === 1) {
        // Alone in its turn: the single script (no batch framing to build or to read).
        const only = calls[0] as Queued;
        const command = only.operation === 'consume' ? this.#consume : this.#peek;
        settle(() => command(only.key, ...only.args), only.resolve, only.reject);
        continue;
      }
      const keys: string[] = [];
      const argv: string[] = [];
      for (const c of calls) {
        keys.push(c.key);
        argv.push(c.operation === 'consume' ? 'c' : 'p', String(c.args.length));
        for (const a of c.args) argv.push(a);
      }
      const batch = this.#batch as ScriptCommand;
      settle(
        () => batch(String(keys.length), ...keys, ...argv),
        (reply) => {
          if (!Array.isArray(reply) || reply.length !== calls.length) {
            const error = new Error('unexpected reply from the limiter batch script');
            for (const c of calls) c.reject(error);
            return;
          }
          // Each call's own reply, or its own error (a foreign value under its key).
          for (let i = 0; i < calls.length; i++) {
            const one = reply[i];
            if (one instanceof Error) (calls[i] as Queued).reject(one);
            else (calls[i] as Queued).resolve(one);
          }
        },
        (error) => {
          for (const c of calls) c.reject(error);
        },
      );
    }
  };

  async #degraded(
    operation: 'consume' | 'peek',
    key: string,
    windows: readonly WindowSpec[],
    reason: RedisFailureReason,
    error?: unknown,
  ): Promise<ConsumeResult> {
    this.#report({
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

  #report(failure: RedisStoreFailure): void {
    if (this.#onError === undefined) return;
    try {
      this.#onError(failure);
    } catch {
      // An observer's failure must not change the answer.
    }
  }
}

/**
 * On a Cluster client with ioredis's `enableAutoPipelining`, keeps the store's commands out of
 * the automatic pipelines (`autoPipeliningIgnoredCommands`): ioredis follows `MOVED` for a
 * pipeline only when every command in it got the same error, which calls on different slots never
 * do, so after a failover such calls would fail instead of following the promoted primary
 * (measured: 52 of 120 calls answered by the policy, none without it). A single server or
 * Sentinel client keeps auto-pipelining, which changes nothing there.
 */
function notAutoPipelined(client: RedisClientLike, names: readonly string[]): void {
  const { options } = client as {
    options?: { enableAutoPipelining?: unknown; autoPipeliningIgnoredCommands?: unknown };
  };
  if (typeof (client as ScriptLoader).nodes !== 'function' || options?.enableAutoPipelining !== true) return;
  const ignored = Array.isArray(options.autoPipeliningIgnoredCommands) ? options.autoPipeliningIgnoredCommands : [];
  // A new array: ioredis may share the default one between clients.
  options.autoPipeliningIgnoredCommands = [...ignored, ...names.filter((n) => !ignored.includes(n))];
}

/** Runs `send` and hands its outcome, or what it threw, to `resolve` / `reject`. */
function settle(
  send: () => Promise<unknown>,
  resolve: (reply: unknown) => void,
  reject: (error: unknown) => void,
): void {
  let sent: Promise<unknown>;
  try {
    sent = send();
  } catch (error) {
    reject(error);
    return;
  }
  sent.then(resolve, reject);
}

function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** Key names `keyFor` remembers; past it the memory starts over. */
const KEY_NAME_CACHE = 10_000;

/** Pause before asking again after a retriable error. */
const RETRY_DELAY_MS = 20;

/**
 * Errors with which Redis refuses a command without running it while a failover or resharding is
 * under way: a replica not yet promoted or a demoted primary (`READONLY`), a node loading its data
 * (`LOADING`), a replica without its primary (`MASTERDOWN`), a slot being moved (`TRYAGAIN`), a
 * Cluster without a primary for a slot (`CLUSTERDOWN`). The same call asked again soon succeeds.
 * (`NOSCRIPT`, `MOVED` and `ASK` are handled by ioredis itself.)
 */
function retriable(error: unknown): boolean {
  return error instanceof Error && /^(?:READONLY|LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/.test(error.message);
}

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

/**
 * Resolves like `promise` or rejects with `Timeout` after `ms`. A late settlement of `promise` is
 * absorbed, so an abandoned Redis call can never become an unhandled rejection. The timeout takes
 * effect after the event loop's I/O phase (`setImmediate`), so when the process itself was stalled
 * (GC, CPU starvation) a reply already waiting on the socket still wins over the timer.
 */
function deadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      setImmediate(() => reject(new Timeout(`no reply from Redis within ${ms} ms`)));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
