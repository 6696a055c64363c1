/** Measuring `WAIT` (a replica's acknowledgment) in front of the RedisStore, without changing it. */

const CONSUME = 'twofaKitConsumeV1'; // the store's command name (packages/core/src/limits/stores/redis.ts)

/**
 * The ioredis client as the store sees it, except that the consume command is pipelined with
 * `WAIT 1 <timeoutMs>` on the same connection (in a Cluster: the node of the key), and rejects
 * when no replica acknowledged the count in time (so the store's policy answers).
 */
export function waitingClient(real, timeoutMs) {
  return new Proxy(real, {
    get(target, prop) {
      if (prop !== CONSUME) {
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return async (key, ...args) => {
        const replies = await target
          .pipeline()
          [CONSUME](key, ...args)
          .wait(1, timeoutMs)
          .exec();
        const [[scriptError, reply], [waitError, acks]] = replies;
        if (scriptError) throw scriptError;
        if (waitError) throw waitError;
        if (acks < 1) throw new Error('WAIT: no replica acknowledged the count in time');
        return reply;
      };
    },
  });
}
