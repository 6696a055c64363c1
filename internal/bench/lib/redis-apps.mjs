/**
 * The two Redis stacks of the benchmark (table rows `fastify-kit-redis`, `peer-rlflex-redis`, and
 * their diagnostic twins): Fastify + kit on a `RedisStore`, and Fastify + otplib +
 * rate-limiter-flexible's three-window union. `autoPipelining` turns on ioredis's
 * `enableAutoPipelining` on the stack's client (the commands of one event-loop turn leave in one
 * write); both stacks take it, so either can be compared with it on. The table rows run on
 * default clients (docs/guides/redis.md: auto-pipelining did not pay here).
 */
import { fastifyApp, kitOptions, otplibRoute, Unavailable } from './apps.mjs';

function redisUrl() {
  const url = process.env.BENCH_REDIS_URL;
  if (!url) throw new Unavailable('no Redis (BENCH_REDIS_URL unset)');
  return url;
}

async function client(options) {
  const { Redis } = await import('ioredis');
  const redis = new Redis(redisUrl(), options);
  await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}

/** Fastify + kit, limits in Redis (`RedisStore`: its defaults, or `batch: false`). */
export async function kitRedisApp({ autoPipelining, batch = true }) {
  const core = await import('@twofa-kit/core');
  if (typeof core.RedisStore !== 'function') throw new Unavailable('@twofa-kit/core has no RedisStore yet');
  const { twoFaPlugin } = await import('@twofa-kit/fastify');
  if (typeof twoFaPlugin !== 'function') throw new Unavailable('@twofa-kit/fastify has no twoFaPlugin yet');
  const redis = await client({ enableOfflineQueue: false, enableAutoPipelining: autoPipelining });
  const store = new core.RedisStore({ client: redis, keyPrefix: 'bench-kit:', batch });
  await store.ready();
  const app = await fastifyApp();
  await app.register(twoFaPlugin, await kitOptions({ store }));
  app.addHook('onClose', async () => {
    await store.close?.();
    redis.disconnect();
  });
  return app;
}

/** Fastify + otplib + rate-limiter-flexible: three `RateLimiterRedis` windows in a union. */
export async function rlflexRedisApp({ autoPipelining }) {
  const { RateLimiterRedis, RateLimiterUnion } = await import('rate-limiter-flexible');
  const redis = await client({ enableOfflineQueue: false, enableAutoPipelining: autoPipelining });
  const windows = [
    ['minute', 60],
    ['hour', 3600],
    ['day', 86400],
  ].map(
    ([name, duration]) =>
      new RateLimiterRedis({ storeClient: redis, keyPrefix: `bench-rlf-${name}`, points: 1e9, duration }),
  );
  const union = new RateLimiterUnion(...windows);
  const app = await fastifyApp();
  otplibRoute(app, (key) => union.consume(key));
  app.addHook('onClose', async () => redis.disconnect());
  return app;
}
