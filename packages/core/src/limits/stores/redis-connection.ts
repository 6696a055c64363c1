import { hash } from 'node:crypto';
import { TwoFaConfigError, TwoFaError } from '../../http/errors.js';
import type { RedisClientLike, RedisErrorPolicy, RedisFailureReason, RedisStoreFailure } from './redis-options.js';

// What every Redis call of the store shares: the client, the time budget of a call, the cooldown
// after a timeout and the outage policy, the reports to `onError`, and script commands.

export type ScriptCommand = (key: string, ...args: string[]) => Promise<unknown>;

/** The parts of ioredis used, when present, to preload the scripts. */
export interface ScriptLoader {
  script?(subcommand: 'LOAD', lua: string): Promise<unknown>;
  nodes?(role: 'master'): ScriptLoader[];
  on?(event: 'ready', listener: () => void): unknown;
  off?(event: 'ready', listener: () => void): unknown;
}

/** The rejection of a call that got no reply within its time budget. */
export class Timeout extends Error {}

/** The client and how its calls are bounded and reported (one per `RedisStore`). */
export class RedisConnection {
  readonly client: RedisClientLike;
  /** Prefix of every key name. */
  readonly prefix: string;
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly policy: RedisErrorPolicy;
  /** Tests only: the time the scripts use instead of Redis's `TIME` (see `RedisStoreOptions.testClock`). */
  readonly testClock: (() => number) | undefined;
  readonly #onError: ((failure: RedisStoreFailure) => void) | undefined;
  /** After a timeout, calls skip Redis until this `performance.now()` (0: no cooldown). */
  skipUntil = 0;

  constructor(settings: {
    client: RedisClientLike;
    prefix: string;
    timeoutMs: number;
    cooldownMs: number;
    policy: RedisErrorPolicy;
    testClock: (() => number) | undefined;
    onError: ((failure: RedisStoreFailure) => void) | undefined;
  }) {
    this.client = settings.client;
    this.prefix = settings.prefix;
    this.timeoutMs = settings.timeoutMs;
    this.cooldownMs = settings.cooldownMs;
    this.policy = settings.policy;
    this.testClock = settings.testClock;
    this.#onError = settings.onError;
  }

  /**
   * One script call that is not retried (verify, auth), within the time budget and cooldown:
   * `{ value }` when Redis answered; otherwise the failure is reported, `closed` throws
   * `TwoFaError('UNAVAILABLE')`, and `undefined` tells the caller to answer by its policy.
   */
  async once<T>(operation: RedisStoreFailure['operation'], call: () => Promise<T>): Promise<{ value: T } | undefined> {
    const ready = this.client.status === 'ready' && (this.skipUntil === 0 || performance.now() >= this.skipUntil);
    let reason: RedisFailureReason = this.client.status === 'ready' ? 'cooldown' : 'not_ready';
    let failure: unknown;
    if (ready) {
      try {
        return { value: await call() };
      } catch (error) {
        failure = error;
        reason = error instanceof Timeout ? 'timeout' : 'error';
        if (reason === 'timeout') this.skipUntil = performance.now() + this.cooldownMs;
      }
    }
    this.report({
      operation,
      reason,
      policy: this.policy,
      ...(failure instanceof Error ? { message: failure.message } : {}),
    });
    if (this.policy === 'closed') throw new TwoFaError('UNAVAILABLE');
    return undefined;
  }

  /**
   * Defines a script command. `keys` undefined: the caller passes the key count as the first
   * argument (EVALSHA's own form; only for the batch, never sent to a Cluster).
   */
  define(name: string, lua: string, keys: number | undefined): ScriptCommand {
    (this.client.defineCommand as (n: string, d: { lua: string; numberOfKeys?: number }) => void)(
      name,
      keys === undefined ? { lua } : { lua, numberOfKeys: keys },
    );
    const command = (this.client as unknown as Record<string, ScriptCommand | undefined>)[name];
    if (command === undefined)
      throw new TwoFaConfigError('RedisStore: client.defineCommand did not define the commands');
    return command.bind(this.client);
  }

  report(failure: RedisStoreFailure): void {
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
export function notAutoPipelined(client: RedisClientLike, names: readonly string[]): void {
  const { options } = client as {
    options?: { enableAutoPipelining?: unknown; autoPipeliningIgnoredCommands?: unknown };
  };
  if (typeof (client as ScriptLoader).nodes !== 'function' || options?.enableAutoPipelining !== true) return;
  const ignored = Array.isArray(options.autoPipeliningIgnoredCommands) ? options.autoPipeliningIgnoredCommands : [];
  // A new array: ioredis may share the default one between clients.
  options.autoPipeliningIgnoredCommands = [...ignored, ...names.filter((n) => !ignored.includes(n))];
}

/** Runs `send` and hands its outcome, or what it threw, to `resolve` / `reject`. */
export function settle(
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

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** Pause before asking again after a retriable error. */
export const RETRY_DELAY_MS = 20;

/**
 * Errors with which Redis refuses a command without running it while a failover or resharding is
 * under way: a replica not yet promoted or a demoted primary (`READONLY`), a node loading its data
 * (`LOADING`), a replica without its primary (`MASTERDOWN`), a slot being moved (`TRYAGAIN`), a
 * Cluster without a primary for a slot (`CLUSTERDOWN`). The same call asked again soon succeeds.
 * (`NOSCRIPT`, `MOVED` and `ASK` are handled by ioredis itself.)
 */
export function retriable(error: unknown): boolean {
  return error instanceof Error && /^(?:READONLY|LOADING|MASTERDOWN|TRYAGAIN|CLUSTERDOWN)\b/.test(error.message);
}

/**
 * Resolves like `promise` or rejects with `Timeout` after `ms`. A late settlement of `promise` is
 * absorbed, so an abandoned Redis call can never become an unhandled rejection. The timeout takes
 * effect after the event loop's I/O phase (`setImmediate`), so when the process itself was stalled
 * (GC, CPU starvation) a reply already waiting on the socket still wins over the timer.
 */
export function deadline<T>(promise: Promise<T>, ms: number): Promise<T> {
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
