/** Connecting ioredis clients to the real servers of `./redis-servers.ts`. */

import type { StoreHarness } from '@twofa-kit/testing/store-suite';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisCluster, RedisServer } from './redis-servers.js';

export {
  type RedisCluster,
  type RedisServer,
  redisTestsEnabled,
  startRedis,
  startRedisCluster,
} from './redis-servers.js';

/** The client options the docs recommend: fail fast instead of queueing while disconnected. */
export const FAIL_FAST: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1 };

function ready(client: Redis | Cluster): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis client not ready in 10 s')), 10_000);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function connect(server: RedisServer, options: RedisOptions = {}): Promise<Redis> {
  const client = new Redis({ host: server.host, port: server.port, ...FAIL_FAST, ...options });
  client.on('error', () => {}); // connection errors are expected in outage tests
  await ready(client);
  return client;
}

export async function connectCluster(cluster: RedisCluster, options: ClusterOptions = {}): Promise<Cluster> {
  const client = new Cluster([...cluster.startupNodes], {
    enableOfflineQueue: false,
    redisOptions: { maxRetriesPerRequest: 1 },
    ...options,
  });
  client.on('error', () => {});
  await ready(client);
  return client;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Redis keeps its own clock: letting time pass means waiting. The 25 ms margin covers timer
 * granularity between Node's timers and Redis's `TIME` on the same host.
 */
export function realTime(store: StoreHarness['store']): Omit<StoreHarness, 'withClock'> {
  return { store, exactClock: false, pass: (ms) => sleep(Math.max(0, ms) + 25) };
}
