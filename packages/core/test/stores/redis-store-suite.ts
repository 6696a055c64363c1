import { realTime, redisTestsEnabled } from '@twofa-kit/testing/redis-clients';
import { storeSuite } from '@twofa-kit/testing/store-suite';
import type { Cluster, Redis } from 'ioredis';
import { RedisStore } from '../../src/index.js';

/**
 * The shared store suite over RedisStore on servers this file starts (`start`) and a client it
 * connects to them (`connectTo`); both are stopped after the suite, also when setup failed halfway.
 */
export function redisStoreSuite<S extends { stop(): Promise<void> }>(
  title: string,
  start: () => Promise<S>,
  connectTo: (servers: S) => Promise<Redis | Cluster>,
): void {
  if (!redisTestsEnabled(`RedisStore on ${title}`)) return;
  let servers: S | undefined;
  let client: Redis | Cluster | undefined;
  storeSuite(`RedisStore (${title})`, {
    async setup() {
      servers = await start();
      client = await connectTo(servers);
      const c = client;
      return {
        ...realTime(new RedisStore({ client: c, onRedisError: 'closed' })),
        withClock: (testClock) => new RedisStore({ client: c, onRedisError: 'closed', testClock }),
      };
    },
    async teardown() {
      client?.disconnect();
      await servers?.stop();
    },
  });
}
