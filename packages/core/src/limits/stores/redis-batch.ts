import type { ScriptCommand } from './redis-connection.js';
import { settle } from './redis-connection.js';

// Limiter calls made within one event-loop turn, sent to Redis as one script run (see
// `RedisStoreOptions.batch`).

/** The command name of the batch script (versioned with the script). */
export const BATCH_COMMAND = 'twofaKitBatchV2';

/** The most calls one batch script run carries; more in one turn make several runs. */
export const REDIS_BATCH_MAX = 64;

/** A limiter call waiting for the end of the event-loop turn (see `RedisStoreOptions.batch`). */
interface Queued {
  readonly operation: 'consume' | 'peek';
  readonly key: string;
  readonly args: string[];
  resolve(reply: unknown): void;
  reject(error: unknown): void;
}

/** The queue of this turn's limiter calls, and its flush after the I/O phase. */
export class RedisLimiterBatch {
  readonly #batch: ScriptCommand;
  readonly #consume: ScriptCommand;
  readonly #peek: ScriptCommand;
  #queue: Queued[] | undefined;

  constructor(batch: ScriptCommand, consume: ScriptCommand, peek: ScriptCommand) {
    this.#batch = batch;
    this.#consume = consume;
    this.#peek = peek;
  }

  /** One limiter script call: at once, or queued for this turn's batch. */
  send(operation: 'consume' | 'peek', key: string, args: string[]): Promise<unknown> {
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
      const batch = this.#batch;
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
}
