import { connect, type RedisServer, realTime, redisTestsEnabled, startRedis } from '@twofa-kit/testing/redis-clients';
import { storeSuite } from '@twofa-kit/testing/store-suite';
import type { Redis } from 'ioredis';
import { RedisStore } from '../../src/index.js';

const enabled = redisTestsEnabled('RedisStore on a single redis-server');
let server: RedisServer | undefined;
let client: Redis | undefined;

if (enabled) {
  storeSuite('RedisStore (single redis-server)', {
    async setup() {
      server = await startRedis();
      client = await connect(server);
      const c = client;
      return {
        ...realTime(new RedisStore({ client: c, onRedisError: 'closed' })),
        withClock: (testClock) => new RedisStore({ client: c, onRedisError: 'closed', testClock }),
      };
    },
    async teardown() {
      client?.disconnect();
      await server?.stop();
    },
  });
}
