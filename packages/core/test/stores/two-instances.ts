import { EXPRESS, FASTIFY, type RunningServer } from '@twofa-kit/contract';
import { type RedisServer, useRedis } from '@twofa-kit/testing/redis-clients';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import type { TwoFaOptions } from '../../src/index.js';

/** What `twoInstancesOnRedis` gives the enclosing `describe`: read it in its tests. */
export interface TwoInstances {
  /** The redis-server both instances use. */
  readonly server: RedisServer;
  /** The base URL of instance `i`: 0 is the Fastify app, 1 the Express app. */
  url(i: number): string;
}

/**
 * Two instances of one API on one redis-server, as two different adapters (Fastify, then
 * Express), each with a client of its own: started before the enclosing `describe`'s tests,
 * closed after them. `options` makes an instance's options from its client.
 */
export function twoInstancesOnRedis(options: (client: Redis) => TwoFaOptions): TwoInstances {
  const redis = useRedis();
  const apps: RunningServer[] = [];
  beforeAll(async () => {
    for (const harness of [FASTIFY, EXPRESS]) apps.push(await harness.start(options(await redis.connect())));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
  });
  return {
    get server() {
      return redis.server;
    },
    url(i) {
      const app = apps[i];
      if (app === undefined) throw new Error(`instance ${i} not started`);
      return app.url;
    },
  };
}
