// One process of the credit races: a RedisStore of its own (its own connection) on a single Redis
// (`REDIS_URL`), a Cluster (`REDIS_CLUSTER_NODES`) or a Sentinel-managed primary (`REDIS_SENTINELS`,
// `REDIS_SENTINEL_NAME`), connected the way the example servers connect. It prints "ready", waits for "go" on stdin (so
// every process starts at once), then makes `N` concurrent consume calls for identity `ID` with the
// windows `WINDOWS` (JSON) and a cost of 1 credit, and prints one JSON line: the balance after each
// admitted call, and how many were refused for credits, for a window, or failed. Plain JavaScript.
import { once } from 'node:events';

const root = new URL('../../../', import.meta.url);
const { RedisStore } = await import(new URL('packages/core/dist/index.js', root).href);
const { configFromEnv, redisClient } = await import(new URL('internal/example-support/dist/index.js', root).href);

const client = redisClient(configFromEnv({ ...process.env, TWOFA_API_KEYS: 'unused:free' }).redis);
client.on('error', () => {});
await client.connect();
// Closed: an answer that did not come from Redis fails the call (and the test) instead of a local guess.
const store = new RedisStore({ client, onRedisError: 'closed', timeoutMs: 10_000 });
await store.ready();
const windows = JSON.parse(process.env.WINDOWS ?? '[]');
const charge = { credits: { cost: 1, required: false, lowBalance: 0 } };
console.log('ready');
process.stdin.setEncoding('utf8');
await once(process.stdin, 'data');
const results = await Promise.allSettled(
  Array.from({ length: Number(process.env.N) }, () => store.consume(process.env.ID, windows, charge)),
);
const out = { balances: [], short: 0, full: 0, failed: 0 };
for (const r of results) {
  if (r.status === 'rejected') out.failed++;
  else if (r.value.allowed) out.balances.push(r.value.credits?.balance ?? -1);
  else if (r.value.credits?.sufficient === false) out.short++;
  else out.full++;
}
console.log(JSON.stringify(out));
client.disconnect();
