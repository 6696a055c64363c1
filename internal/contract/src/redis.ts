import { RedisStore } from '@twofa-kit/core';
import { connect, type RedisServer, redisTestsEnabled, startRedis } from '@twofa-kit/testing/redis-clients';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import type { AdapterHarness } from './harness.js';
import { runContract } from './run.js';

/**
 * Runs the whole contract against one adapter with its limits in Redis: a `redis-server` of its
 * own, and a `RedisStore` per app (its own key prefix, so apps share nothing) on the test's clock.
 * A suite that brings its own store keeps it.
 */
export function runContractOnRedis(harness: AdapterHarness): void {
  const enabled = redisTestsEnabled(`contract: ${harness.name} on Redis`);
  describe.skipIf(!enabled)(`${harness.name}, limits in Redis`, () => {
    let redis: RedisServer | undefined;
    let client: Redis | undefined;
    let apps = 0;
    beforeAll(async () => {
      redis = await startRedis();
      client = await connect(redis);
    });
    afterAll(async () => {
      client?.disconnect();
      await redis?.stop();
    });
    runContract({
      ...harness,
      name: `${harness.name} + Redis`,
      start(options, host) {
        if (client === undefined) throw new Error('redis not started');
        const clock = options.clock;
        const store =
          options.store ??
          new RedisStore({ client, keyPrefix: `contract${++apps}:`, ...(clock ? { clock, testClock: clock } : {}) });
        return harness.start({ ...options, store }, host);
      },
    });
  });
}
