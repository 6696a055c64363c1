import { type LimiterStore, RedisStore, type RedisStoreFailure } from '@twofa-kit/core';
import { Redis } from 'ioredis';

/**
 * The limiter for `REDIS_URL` (shared by every instance using that Redis), or `undefined` for the
 * in-memory default. While Redis is unreachable the RedisStore answers from a local memory limiter.
 * `observe` (the metrics, when on) hears of each call answered by that policy and of the connection.
 */
export async function limiterStore(
  redisUrl: string | undefined,
  observe: StoreObserver = {},
): Promise<{
  store: LimiterStore | undefined;
  close: () => Promise<void>;
}> {
  if (redisUrl === undefined) return { store: undefined, close: async () => {} };
  // No offline queue: while Redis is down, calls fail at once and the store applies its policy.
  const client = new Redis(redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
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
