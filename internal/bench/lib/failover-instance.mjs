// One app instance for bench/failover.mjs: the BUILT Fastify example app with a RedisStore on the
// client the example servers build (`redisClient` of internal/example-support: REDIS_URL,
// REDIS_CLUSTER_NODES or REDIS_SENTINELS + REDIS_SENTINEL_NAME, read by `configFromEnv`), the
// outage policy `REDIS_POLICY` (default fallback), and with `REDIS_WAIT=1` every admitted count
// acknowledged by one replica (`WAIT 1 <rest of the budget>` pipelined after the script; an
// unacknowledged count is an error, so the policy answers). Prints
// "instance listening on http://127.0.0.1:PORT". Plain JavaScript: it runs under `node` as is.
import { waitingClient } from './wait-client.mjs';

const root = new URL('../../../', import.meta.url);
const { RedisStore } = await import(new URL('packages/core/dist/index.js', root).href);
const { configFromEnv, redisClient } = await import(new URL('internal/example-support/dist/index.js', root).href);
const { buildApp } = await import(new URL('examples/fastify/dist/app.js', root).href);

const config = configFromEnv(process.env);
const client = redisClient(config.redis);
client.on('error', () => {}); // outages are the store's policy
await client.connect();
await new Promise((resolve, reject) => {
  if (client.status === 'ready') return resolve();
  const timer = setTimeout(() => reject(new Error('redis not ready within 10 s')), 10_000);
  client.once('ready', () => {
    clearTimeout(timer);
    resolve();
  });
});

const TIMEOUT_MS = 250;
const store = new RedisStore({
  client: process.env.REDIS_WAIT === '1' ? waitingClient(client, TIMEOUT_MS) : client,
  timeoutMs: TIMEOUT_MS,
  onRedisError: process.env.REDIS_POLICY ?? 'fallback',
});
await store.ready().catch(() => {});
const app = buildApp({ resolveKey: config.resolveKey, plans: config.plans, store });
await app.listen({ port: 0, host: '127.0.0.1' });
process.once('SIGTERM', async () => {
  await app.close();
  client.disconnect();
  process.exit(0);
});
console.log(`instance listening on http://127.0.0.1:${app.server.address().port}`);
