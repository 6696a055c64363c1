import {
  connectCluster,
  type RedisCluster,
  realTime,
  redisTestsEnabled,
  startRedisCluster,
} from '@twofa-kit/testing/redis-clients';
import { storeSuite } from '@twofa-kit/testing/store-suite';
import type { Cluster } from 'ioredis';
import { RedisStore } from '../../src/index.js';

const enabled = redisTestsEnabled('RedisStore on a Redis Cluster');
let cluster: RedisCluster | undefined;
let client: Cluster | undefined;

if (enabled) {
  storeSuite('RedisStore (3-master Redis Cluster)', {
    async setup() {
      cluster = await startRedisCluster();
      client = await connectCluster(cluster);
      const c = client;
      return {
        ...realTime(new RedisStore({ client: c, onRedisError: 'closed' })),
        withClock: (testClock) => new RedisStore({ client: c, onRedisError: 'closed', testClock }),
      };
    },
    async teardown() {
      client?.disconnect();
      await cluster?.stop();
    },
  });
}
