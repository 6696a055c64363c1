#!/usr/bin/env node
// RedisStore.consume latency (serial) and throughput (50 in flight) against a local redis-server.
//
//   pnpm run build && node bench/redis-consume.mjs
//
// Starts its own redis-server on a free port (no persistence) unless REDIS_URL is set; never
// touches 127.0.0.1:6379 by itself. Options (env): SERIAL (default 5000 calls), TOTAL (default
// 50000 calls), IN_FLIGHT (default 50), IDENTITIES (default 1000). Every call is admitted (large
// limits, three windows like the `pro` plan), so each one runs the script's write path.
import { MemoryStore, RedisStore } from '@twofa-kit/core';
import { Redis } from 'ioredis';
import { startRedis } from './lib/redis.mjs';

const SERIAL = Number(process.env.SERIAL ?? 5_000);
const TOTAL = Number(process.env.TOTAL ?? 50_000);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 50);
const IDENTITIES = Number(process.env.IDENTITIES ?? 1_000);
const WINDOWS = [
  { name: 'minute', seconds: 60, limit: 1e9 },
  { name: 'hour', seconds: 3_600, limit: 1e9 },
  { name: 'day', seconds: 86_400, limit: 1e9 },
];

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (x) => x.toFixed(3);

/** Calls, mean, throughput and percentiles of `lat` (one latency a call, ms) over `wall` ms. */
function summary(lat, wall) {
  const n = lat.length;
  const mean = lat.reduce((a, b) => a + b, 0) / n;
  lat.sort();
  return {
    calls: n,
    mean,
    opsPerSec: Math.round((n / wall) * 1000),
    p50: lat[n >> 1],
    p99: pct(lat, 99),
    max: lat[n - 1],
  };
}

async function serial(store, n) {
  const lat = new Float64Array(n);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await store.consume(`bench-${i % IDENTITIES}`, WINDOWS);
    lat[i] = performance.now() - t;
    if (!r.allowed) throw new Error('unexpected refusal');
  }
  return summary(lat, performance.now() - started);
}

async function concurrent(store, n, inFlight) {
  const lat = new Float64Array(n);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let i = next++; i < n; i = next++) {
        const t = performance.now();
        await store.consume(`bench-${i % IDENTITIES}`, WINDOWS);
        lat[i] = performance.now() - t;
      }
    }),
  );
  return { ...summary(lat, performance.now() - started), inFlight };
}

const server = process.env.REDIS_URL ? undefined : await startRedis();
const client = new Redis(process.env.REDIS_URL ?? server.url, {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  retryStrategy: (n) => (n > 50 ? null : 50),
});
client.on('error', () => {});
await new Promise((resolve) => client.once('ready', resolve));
let failures = 0;
const store = new RedisStore({
  client,
  keyPrefix: `bench:${process.pid}:`,
  onRedisError: 'closed',
  timeoutMs: 5_000,
  onError: () => failures++,
});
await store.ready();
await serial(store, Math.min(1_000, SERIAL)); // warm-up

const rows = {
  'redis serial': await serial(store, SERIAL),
  [`redis ${IN_FLIGHT} in flight`]: await concurrent(store, TOTAL, IN_FLIGHT),
  'memory serial (reference)': await serial(new MemoryStore(), SERIAL),
};
console.log(`node ${process.version}, ${(await client.info('server')).match(/redis_version:(\S+)/)?.[1] ?? '?'} redis`);
console.log(
  `load average ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log('rows: calls, ops/s, latency mean / p50 / p99 / max in ms');
for (const [name, r] of Object.entries(rows)) {
  console.log(
    `${name.padEnd(28)} ${String(r.calls).padStart(6)}  ${String(r.opsPerSec).padStart(7)} ops/s  ${fmt(r.mean)} / ${fmt(r.p50)} / ${fmt(r.p99)} / ${fmt(r.max)}`,
  );
}
if (failures > 0) console.log(`store failures: ${failures}`);
client.disconnect();
await server?.stop();
