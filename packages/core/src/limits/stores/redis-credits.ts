import { TwoFaConfigError } from '../../http/errors.js';
import { checkRefund, checkTopUp } from './credits.js';
import { deadline, type RedisConnection, type ScriptCommand, Timeout } from './redis-connection.js';
import { REFUND_LUA, TOP_UP_LUA } from './redis-script.js';
import type { TopUpResult } from './types.js';

// Prepaid credits in Redis: top-ups (once per id), the balance, refunds (held while Redis is away).
// The charge itself is part of the limiter's consume script.

/** Command names (versioned with the scripts). */
export const TOP_UP_COMMAND = 'twofaKitTopUpV1';
export const REFUND_COMMAND = 'twofaKitRefundV1';

/** The credit operations of a `RedisStore`, on its connection and its identities' key names. */
export class RedisCredits {
  readonly #connection: RedisConnection;
  readonly #keyFor: (identityId: string) => string;

  constructor(connection: RedisConnection, keyFor: (identityId: string) => string) {
    this.#connection = connection;
    this.#keyFor = keyFor;
  }

  /**
   * Adds `amount` credits to the identity's balance, once per `topUpId` (see `LimiterStore.topUp`):
   * one script call on the identity's hash and its set of applied ids (one slot on a Cluster).
   * Money is never answered by a policy: when Redis fails this rejects, and the host retries with
   * the same id (a top-up that did reach Redis is then not applied twice).
   */
  async topUp(key: string, amount: number, topUpId: string): Promise<TopUpResult> {
    checkTopUp(amount, topUpId);
    this.#topUp ??= this.#connection.define(TOP_UP_COMMAND, TOP_UP_LUA, 2);
    const name = this.#keyFor(key);
    const reply = await deadline(
      this.#topUp(name, this.#topUpsKey(name), String(amount), topUpId),
      this.#connection.timeoutMs,
    );
    if (!Array.isArray(reply) || reply.length !== 2) throw new Error('unexpected reply from the top-up script');
    return { balance: Number(reply[0]), applied: Number(reply[1]) === 1 };
  }
  #topUp: ScriptCommand | undefined;

  /** The balance, or null when the identity holds none. Rejects when Redis fails. */
  async balance(key: string): Promise<number | null> {
    const reply = await deadline(this.#hget(this.#keyFor(key), 'b'), this.#connection.timeoutMs);
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
    if (this.#connection.client.status !== 'ready') {
      this.#holdRefund(key, amount);
      return;
    }
    this.#refund ??= this.#connection.define(REFUND_COMMAND, REFUND_LUA, 1);
    try {
      await deadline(this.#refund(this.#keyFor(key), String(amount)), this.#connection.timeoutMs);
    } catch (error) {
      this.#connection.report({
        operation: 'refund',
        reason: error instanceof Timeout ? 'timeout' : 'error',
        policy: this.#connection.policy,
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
      this.#connection.report({ operation: 'refund', reason: 'not_ready', policy: this.#connection.policy });
      return;
    }
    this.#heldRefunds.set(key, (held ?? 0) + amount);
  }

  flushRefunds(): void {
    if (this.#heldRefunds.size === 0) return;
    const held = [...this.#heldRefunds];
    this.#heldRefunds.clear();
    for (const [key, amount] of held) void this.refund(key, amount);
  }

  /** The name of the set of an identity's applied top-up ids: the same hash tag as its counters. */
  #topUpsKey(name: string): string {
    return `${this.#connection.prefix}topups:${name.slice(this.#connection.prefix.length)}`;
  }

  #hget(key: string, field: string): Promise<unknown> {
    const client = this.#connection.client as unknown as { hget?: (key: string, field: string) => Promise<unknown> };
    if (typeof client.hget !== 'function')
      throw new TwoFaConfigError('RedisStore: the client has no hget (not ioredis?)');
    return client.hget(key, field);
  }
}
