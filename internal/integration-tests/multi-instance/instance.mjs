// One app instance for the multi-instance tests: the BUILT example app of a framework (`FW`:
// fastify | koa | express) with a RedisStore on a single Redis (`REDIS_URL`) or a Cluster
// (`REDIS_CLUSTER_NODES` = host:port,host:port,...), outage policy `REDIS_POLICY`, keys from
// `TWOFA_API_KEYS` (key:plan,...), `TWOFA_PLANS` and `TWOFA_CREDITS`, read like the example servers
// read them (`configFromEnv`). With `NOTICES=1` it prints each threshold event as a line
// "notice {json}" (and `LOW_BALANCE` sets `credits.lowBalance`); `REDIS_TIMEOUT_MS` sets the store's
// time budget (for races whose load on a small machine would otherwise hand calls to the policy). It connects to Redis before
// listening, then prints "instance listening on http://127.0.0.1:PORT". Plain JavaScript: it runs
// under `node` as is.
import http from 'node:http';
import { createRequire } from 'node:module';

const root = new URL('../../../', import.meta.url);
const fw = process.env.FW ?? 'fastify';
const require = createRequire(new URL(`examples/${fw}/package.json`, root));
const { Cluster, Redis } = require('ioredis');
const { RedisStore } = await import(new URL('packages/core/dist/index.js', root).href);
const { applyCredits, configFromEnv } = await import(new URL('internal/example-support/dist/index.js', root).href);
const { buildApp } = await import(new URL(`examples/${fw}/dist/app.js`, root).href);

const client = process.env.REDIS_CLUSTER_NODES
  ? new Cluster(
      process.env.REDIS_CLUSTER_NODES.split(',').map((hp) => {
        const [host, port] = hp.split(':');
        return { host, port: Number(port) };
      }),
      { enableOfflineQueue: false, redisOptions: { maxRetriesPerRequest: 1 } },
    )
  : new Redis(process.env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
client.on('error', () => {}); // outages are the store's policy, reported through onError
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('redis not ready within 10 s')), 10_000);
  client.once('ready', () => {
    clearTimeout(timer);
    resolve();
  });
});

const config = configFromEnv(process.env);
const store = new RedisStore({
  client,
  onRedisError: process.env.REDIS_POLICY ?? 'fallback',
  ...(process.env.REDIS_TIMEOUT_MS ? { timeoutMs: Number(process.env.REDIS_TIMEOUT_MS) } : {}),
  onError: (failure) => console.error(`redis store: ${JSON.stringify(failure)}`),
});
await store.ready(); // scripts cached before the first request
await applyCredits(store, config.credits);
const notices = process.env.NOTICES === '1';
const app = buildApp({
  resolveKey: config.resolveKey,
  plans: config.plans,
  store,
  credits: { lowBalance: Number(process.env.LOW_BALANCE ?? 0) },
  ...(notices
    ? {
        onEvent: (event) => {
          if (event.type === 'quota.threshold' || event.type === 'credits.low') {
            console.log(`notice ${JSON.stringify(event)}`);
          }
        },
      }
    : {}),
});

let server;
if (fw === 'fastify') {
  await app.listen({ port: 0, host: '127.0.0.1' });
  server = app.server;
} else {
  server = http.createServer(fw === 'koa' ? app.callback() : app);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}
process.once('SIGTERM', () => {
  server.close();
  client.disconnect();
  process.exit(0);
});
console.log(`instance listening on http://127.0.0.1:${server.address().port}`);
