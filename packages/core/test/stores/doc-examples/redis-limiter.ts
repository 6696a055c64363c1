import { RedisStore } from '@twofa-kit/core';
import { Redis } from 'ioredis';

/** The limiter of one instance; every instance given the same Redis shares the plan limits. */
export async function redisLimiter(url: string) {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false, // never park a request while disconnected: the policy answers
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => {}); // outages reach onError below; ioredis keeps reconnecting
  await client.connect().catch(() => {}); // Redis down at start-up: the policy answers until it is up
  const store = new RedisStore({
    client,
    keyPrefix: 'twofa:', // the default
    timeoutMs: 250, // the default budget of one limiter call
    onRedisError: 'fallback', // the default: limit in memory, per instance, while Redis is away
    onError: (failure) => console.warn(`twofa-kit limiter: ${failure.reason} (${failure.policy})`),
  });
  return { store, close: () => client.quit() };
}
