import { type LimiterStore, RedisStore, type RedisStoreFailure } from '@twofa-kit/core';
import { Cluster, Redis } from 'ioredis';
import type { RedisConnection } from './env.js';

/**
 * The ioredis client for a connection (docs/guides/high-availability.md). Never parks a request while
 * disconnected (no offline queue, one retry), so the store's outage policy answers at once. No
 * `enableAutoPipelining`: the store batches its own calls (docs/guides/redis.md), and on a Cluster
 * ioredis's automatic pipelines do not follow MOVED after a failover.
 */
export function redisClient(connection: RedisConnection): Redis | Cluster {
  switch (connection.kind) {
    case 'url':
      return new Redis(connection.url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    case 'cluster':
      return new Cluster([...connection.nodes], {
        lazyConnect: true,
        enableOfflineQueue: false,
        scaleReads: 'master', // counts are read where they are written: a replica may lag
        maxRedirections: 16, // MOVED / ASK followed by the client
        retryDelayOnFailover: 100, // a closed connection: refresh the slots, try again
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        redisOptions: { maxRetriesPerRequest: 1 },
      });
    case 'sentinel':
      return new Redis({
        sentinels: [...connection.sentinels],
        name: connection.name,
        role: 'master',
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        // A promoted replica is found by asking the Sentinels again on reconnect; retry quickly.
        retryStrategy: (times: number) => Math.min(times * 50, 500),
        // A demoted primary answers writes with READONLY: reconnect (to the new primary).
        reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
        // Not `failoverDetector`: with ioredis 6.0.0 it left clients ended (status `end`, never
        // reconnecting) after a SIGKILLed primary in 4 of 6 runs (docs/guides/high-availability.md).
      });
  }
}

/**
 * The limiter for `REDIS_URL`, `REDIS_CLUSTER_NODES` or `REDIS_SENTINELS` (shared by every
 * instance using that Redis), or `undefined` for the in-memory default. While Redis is
 * unreachable the RedisStore answers from a local memory limiter. `observe` (the metrics, when on)
 * hears of each call answered by that policy and of the connection.
 */
export async function limiterStore(
  redis: RedisConnection | string | undefined,
  observe: StoreObserver = {},
): Promise<{
  store: LimiterStore | undefined;
  close: () => Promise<void>;
}> {
  if (redis === undefined) return { store: undefined, close: async () => {} };
  const client = redisClient(typeof redis === 'string' ? { kind: 'url', url: redis } : redis);
  let up = true;
  client.on('ready', () => {
    up = true;
    observe.onRedisConnection?.(true);
  });
  client.on('error', (error: Error) => {
    if (up) console.warn(`twofa-kit: Redis unavailable (${error.message}); limiting in memory until it is back`);
    up = false;
    observe.onRedisConnection?.(false);
  });
  client.on('close', () => observe.onRedisConnection?.(false));
  await client.connect().catch(() => {}); // not reachable yet: ioredis keeps reconnecting
  const store = new RedisStore({ client, ...(observe.onStoreFailure ? { onError: observe.onStoreFailure } : {}) });
  return { store, close: async () => void (await client.quit().catch(() => client.disconnect())) };
}

/** What `limiterStore` reports to, e.g. the example's `Metrics`. */
export interface StoreObserver {
  readonly onStoreFailure?: (failure: RedisStoreFailure) => void;
  readonly onRedisConnection?: (up: boolean) => void;
}
