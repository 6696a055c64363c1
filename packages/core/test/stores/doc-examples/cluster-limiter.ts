import { RedisStore } from '@twofa-kit/core';
import { Cluster } from 'ioredis';

/** The same on a Redis Cluster: give it some of the masters; it discovers the rest. */
export async function clusterLimiter(nodes: { host: string; port: number }[]) {
  const client = new Cluster(nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    redisOptions: { maxRetriesPerRequest: 1 },
  });
  client.on('error', () => {});
  await client.connect().catch(() => {});
  const store = new RedisStore({ client, onRedisError: 'closed' }); // 503 while the Cluster is away
  await store.ready(); // optional: scripts loaded on every master before the first request
  return { store, close: () => client.quit() };
}
