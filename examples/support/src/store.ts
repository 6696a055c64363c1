import { type LimiterStore, RedisStore } from '@twofa-kit/core';
import { Redis } from 'ioredis';

/**
 * The limiter for `REDIS_URL` (shared by every instance using that Redis), or `undefined` for the
 * in-memory default. While Redis is unreachable the RedisStore answers from a local memory limiter.
 */
export async function limiterStore(redisUrl: string | undefined): Promise<{
  store: LimiterStore | undefined;
  close: () => Promise<void>;
}> {
  if (redisUrl === undefined) return { store: undefined, close: async () => {} };
  // No offline queue: while Redis is down, calls fail at once and the store applies its policy.
  const client = new Redis(redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  let up = true;
  client.on('ready', () => {
    up = true;
  });
  client.on('error', (error: Error) => {
    if (up) console.warn(`twofa-kit: Redis unavailable (${error.message}); limiting in memory until it is back`);
    up = false;
  });
  await client.connect().catch(() => {}); // not reachable yet: ioredis keeps reconnecting
  const store = new RedisStore({ client });
  return { store, close: async () => void (await client.quit().catch(() => client.disconnect())) };
}
